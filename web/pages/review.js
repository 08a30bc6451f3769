// pages/review.js - the review queue: one pending decision at a time, the
// content (blurred and grayscale until the reviewer reveals it) beside the
// bank item it matched, and remove / keep / escalate with a reason, from
// buttons or single-key shortcuts.

const EMPTY_POLL_MS = 15000;
const COUNT_POLL_MS = 30000;
const MAX_CLAIM_TRIES = 25;
// A claim is a short lease renewed while the item is on screen, so that an
// item a reviewer walked away from (another page, a closed tab) goes back
// to the others within minutes, not a quarter of an hour.
const CLAIM_LEASE_S = 300;
const CLAIM_RENEW_MS = 240000;
const ESCALATED_KEY = 'tamis.review.escalated';
const REASONS_KEY = 'tamis.review.reasons';

const ACTIONS = [
  { action: 'remove', label: 'Remove', key: 'r', cls: 'btn--danger' },
  { action: 'keep', label: 'Keep', key: 'k', cls: '' },
  { action: 'escalate', label: 'Escalate', key: 'e', cls: '' },
];

function loadList(key) {
  try {
    const v = JSON.parse(sessionStorage.getItem(key) || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function saveList(key, list) {
  try { sessionStorage.setItem(key, JSON.stringify(list)); } catch { /* full or disabled */ }
}

// Whether a key press in this element is typing rather than a shortcut.
function isTextField(t) {
  if (!t || !t.tagName) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']
    .includes((t.type || 'text').toLowerCase());
}

function isActivatable(t) {
  return !!(t && t.closest && t.closest('button, a[href], input, select, textarea, summary, [role="button"]'));
}

function httpUrl(s) {
  if (typeof s !== 'string' || !s) return null;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function render(root, ctx) {
  const { el } = ctx;
  let alive = true;
  let busy = false;
  let current = null;       // { d, bank, item } of the item on screen
  let view = null;          // the DOM pieces of the item on screen
  let pollTimer = 0;
  let renewTimer = 0;
  const escalated = new Set(loadList(ESCALATED_KEY));
  const refused = new Set(); // ids whose claim failed during this visit

  const count = el('span', { class: 'badge badge--neutral review__count num', id: 'review-count' }, '…');
  const countNote = el('span', { class: 'muted review__countnote' });
  const body = el('div', { class: 'review__body', 'aria-busy': 'true' },
    el('p', { class: 'muted', text: 'Loading the review queue…' }));

  root.append(
    el('div', { class: 'pagehead' },
      el('h1', { text: 'Review' }), count, countNote),
    el('p', { class: 'review__help', id: 'review-help' },
      'Shortcuts when not typing: ', el('kbd', 'r'), ' remove · ', el('kbd', 'k'), ' keep · ',
      el('kbd', 'e'), ' escalate · ', el('kbd', 'v'), ' reveal or blur · ', el('kbd', '/'), ' or ',
      el('kbd', 'Enter'), ' type the reason · ', el('kbd', 'Esc'), ' leave the reason field.'),
    body);

  let countTimer = 0;

  // While an item is on screen, the count of those waiting is kept fresh
  // without touching the item.
  async function recount() {
    clearTimeout(countTimer);
    if (!alive) return;
    if (current && !busy) {
      try {
        const q = await ctx.api('GET', '/a/review');
        if (!alive) return;
        tally(q && Array.isArray(q.pending) ? q.pending : []);
      } catch { /* the next load says what is wrong */ }
    }
    if (alive) countTimer = setTimeout(recount, COUNT_POLL_MS);
  }

  function tally(list) {
    const now = Date.now() / 1000;
    const pending = list.filter((d) => d && d.state !== 'decided');
    const held = pending.filter((d) => !escalated.has(d.id) && heldByOther(d, now)).length;
    const mine = pending.filter((d) => escalated.has(d.id)).length;
    setCount(pending.length - held - mine, held, mine);
    return { total: pending.length, held, mine };
  }

  function setCount(waiting, held, mine) {
    count.textContent = `${waiting} waiting`;
    const bits = [];
    if (held) bits.push(`${held} held by other reviewers`);
    if (mine) bits.push(`${mine} escalated by you`);
    countNote.textContent = bits.join(' · ');
  }

  function heldByOther(d, now) {
    if (!d.claimed_by || d.claimed_by === ctx.who) return false;
    if (typeof d.claimed_until === 'number' && d.claimed_until > 0) return d.claimed_until > now;
    return refused.has(d.id);
  }

  // Fetches the queue, claims the oldest item this reviewer may take and
  // shows it; or shows that the queue is empty.
  async function load() {
    if (!alive) return;
    clearTimeout(pollTimer);
    busy = true;
    body.setAttribute('aria-busy', 'true');
    body.classList.add('is-loading');
    try {
      const q = await ctx.api('GET', '/a/review');
      if (!alive) return;
      const pending = (q && Array.isArray(q.pending) ? q.pending : [])
        .filter((d) => d && d.state !== 'decided')
        .sort((a, b) => (a.created_at - b.created_at) || (a.id - b.id));
      const ids = new Set(pending.map((d) => d.id));
      for (const id of [...escalated]) if (!ids.has(id)) escalated.delete(id);
      saveList(ESCALATED_KEY, [...escalated]);

      let claimed = null;
      let tries = 0;
      const now = Date.now() / 1000;
      for (const d of pending) {
        if (escalated.has(d.id) || heldByOther(d, now)) continue;
        if (tries++ >= MAX_CLAIM_TRIES) break;
        try {
          claimed = await ctx.api('POST', claimPath(d.id));
          if (!alive) return;
          if (!claimed || typeof claimed !== 'object') claimed = d;
          break;
        } catch (e) {
          if (!alive) return;
          if (e.status === 401 || e.status === 403) throw e;
          // Claimed by someone else meanwhile, or decided: the next one.
          refused.add(d.id);
        }
      }
      const { held, mine } = tally(pending);

      if (!claimed) {
        showEmpty(pending.length, held, mine);
        return;
      }
      const details = await loadDetails(claimed);
      if (!alive) return;
      showItem(claimed, details);
    } catch (e) {
      if (!alive) return;
      if (e.status !== 401 && e.status !== 403) ctx.alert(`The review queue could not be loaded: ${e.message}`);
      body.replaceChildren(el('div', { class: 'empty' },
        el('strong', 'The review queue could not be loaded.'),
        el('button', { type: 'button', class: 'btn', on: { click: () => load() } }, 'Try again')));
    } finally {
      if (alive) {
        busy = false;
        body.setAttribute('aria-busy', 'false');
        body.classList.remove('is-loading');
      }
    }
  }

  async function loadDetails(d) {
    const out = { bank: null, item: null, bankError: '', itemError: '' };
    if (!d.bank) return out;
    const b = encodeURIComponent(d.bank);
    const [bank, item] = await Promise.allSettled([
      ctx.api('GET', `/c/bank/${b}`),
      d.content_id ? ctx.api('GET', `/c/bank/${b}/content/${encodeURIComponent(d.content_id)}?include_signals=true`)
        : Promise.reject(new Error('no content id')),
    ]);
    if (bank.status === 'fulfilled') out.bank = bank.value;
    else out.bankError = bank.reason.message;
    if (item.status === 'fulfilled') out.item = item.value;
    else out.itemError = item.reason.message;
    return out;
  }

  function showEmpty(total, held, mine) {
    current = null;
    view = null;
    const box = el('div', { class: 'empty', id: 'review-empty' },
      el('strong', 'The review queue is empty.'));
    if (held || mine) {
      box.append(el('p', { text: `${total} pending item${total === 1 ? ' is' : 's are'} with other reviewers or escalated.` }));
    }
    box.append(el('p', { class: 'muted', text: 'New matches sent to review appear here; the queue is checked every 15 seconds.' }),
      el('button', { type: 'button', class: 'btn', on: { click: () => load() } }, 'Check now'));
    body.replaceChildren(box);
    pollTimer = setTimeout(() => { if (alive && !current) load(); }, EMPTY_POLL_MS);
  }

  // ---- One item --------------------------------------------------------------

  function mediaFrame(d) {
    const frame = el('div', { class: 'media media--blurred', id: 'review-media' });
    const url = httpUrl(d.media_url);
    const note = (text) => el('p', { class: 'media__note', text });
    if (!d.media_url) {
      frame.append(note('No media URL was given for this content'));
      return { frame, hasMedia: false };
    }
    if (!url) {
      frame.append(note('The media URL is not an http or https address, so it is not shown.'));
      return { frame, hasMedia: false };
    }
    const badge = el('span', { class: 'media__badge', 'aria-hidden': 'true', text: 'Blurred' });
    const img = el('img', { alt: 'The content under review', referrerpolicy: 'no-referrer',
      decoding: 'async', draggable: 'false' });
    img.addEventListener('error', () => {
      // Not an image: perhaps a video.
      const video = el('video', { controls: true, muted: true, preload: 'metadata', playsinline: true,
        'aria-label': 'The content under review (video)' });
      video.muted = true;
      video.addEventListener('error', () => {
        video.replaceWith(note('The media could not be loaded as an image or a video.'));
      });
      video.src = url;
      img.replaceWith(video);
    }, { once: true });
    img.src = url;
    frame.append(img, badge);
    return { frame, hasMedia: true, badge };
  }

  function kvRow(dl, term, value) {
    if (value === null || value === undefined || value === '' ||
        (Array.isArray(value) && value.length === 0)) {
      dl.append(el('dt', term), el('dd', { class: 'muted' }, '—'));
      return;
    }
    dl.append(el('dt', term), value instanceof Node ? el('dd', {}, value) : el('dd', {}, String(value)));
  }

  function tags(list) {
    if (!Array.isArray(list) || list.length === 0) return null;
    return el('span', {}, list.map((l) => el('span', { class: 'tag', text: String(l) })));
  }

  function itemSource(item) {
    if (!item) return null;
    if (item.source) return item.source;
    const m = item.metadata;
    if (m && typeof m === 'object') return m.source || m.content_uri || null;
    return null;
  }

  function claimPath(id) {
    return `/a/review/${encodeURIComponent(id)}/claim?lease=${CLAIM_LEASE_S}`;
  }

  function showItem(d, details) {
    clearTimeout(pollTimer);
    clearInterval(renewTimer);
    renewTimer = setInterval(() => {
      if (alive && current && current.d && current.d.id === d.id)
        ctx.api('POST', claimPath(d.id)).catch(() => {}); // lost: the decision will say so
      else
        clearInterval(renewTimer);
    }, CLAIM_RENEW_MS);
    const { bank, item } = details;
    const media = mediaFrame(d);
    let revealed = false;

    const reveal = el('button', { type: 'button', class: 'btn', id: 'review-reveal',
      'aria-pressed': 'false', 'aria-label': 'Reveal', 'aria-keyshortcuts': 'v',
      'aria-controls': 'review-media', disabled: !media.hasMedia },
      el('span', { class: 'reveal__label', text: 'Reveal' }), el('kbd', { 'aria-hidden': 'true' }, 'v'));
    const revealLabel = reveal.querySelector('.reveal__label');
    const revealHint = el('span', { class: 'muted', text: media.hasMedia
      ? 'Shown blurred and in grayscale until you reveal it.' : '' });
    function setRevealed(on) {
      if (!media.hasMedia) return;
      revealed = on;
      media.frame.classList.toggle('media--blurred', !on);
      if (media.badge) media.badge.hidden = on;
      reveal.setAttribute('aria-pressed', on ? 'true' : 'false');
      reveal.setAttribute('aria-label', on ? 'Blur again' : 'Reveal');
      revealLabel.textContent = on ? 'Blur again' : 'Reveal';
      revealHint.textContent = on ? 'Revealed for this item only: the next one starts blurred.'
        : 'Shown blurred and in grayscale until you reveal it.';
    }
    reveal.addEventListener('click', () => setRevealed(!revealed));

    const content = el('section', { class: 'card', 'aria-labelledby': 'review-content-h' },
      el('h2', { id: 'review-content-h', text: 'Content' }),
      media.frame,
      el('div', { class: 'media__bar' }, reveal, revealHint));
    const meta = el('dl', { class: 'kv review__meta' });
    kvRow(meta, 'PUID', el('span', { class: 'mono break', text: d.puid || '' }));
    kvRow(meta, 'Decision ID', `#${d.id}`);
    kvRow(meta, 'Queued', ctx.fmtTime(d.created_at));
    kvRow(meta, 'Media URL', d.media_url ? el('span', { class: 'mono break', text: d.media_url }) : null);
    const flags = [];
    if (d.escalated) flags.push(el('span', { class: 'badge badge--warn', text: 'Escalated' }));
    if (flags.length) kvRow(meta, 'Flags', el('span', { class: 'review__flags' }, flags));
    content.append(meta);

    // The bank item it matched.
    const threshold = bank && bank.thresholds && d.signal_type in bank.thresholds
      ? bank.thresholds[d.signal_type] : null;
    const dl = el('dl', { class: 'kv' });
    kvRow(dl, 'Bank', d.bank);
    kvRow(dl, 'Bank labels', tags(bank && bank.labels));
    kvRow(dl, 'Bank description', bank && bank.description);
    kvRow(dl, 'Content ID', d.content_id);
    kvRow(dl, 'Signal type', d.signal_type);
    kvRow(dl, 'Variant', d.variant);
    kvRow(dl, 'Distance', threshold !== null && threshold !== undefined
      ? `${d.distance} (threshold ${threshold})` : d.distance);
    kvRow(dl, 'Item labels', tags(item && item.labels));
    kvRow(dl, 'Source', itemSource(item));
    kvRow(dl, 'Note', item && item.note);
    if (item && item.disable_until_ts !== undefined && item.disable_until_ts !== 1) {
      const until = Number(item.disable_until_ts);
      kvRow(dl, 'Item status', el('span', { class: 'badge badge--warn', text: !until || until > 32503680000
        ? 'Disabled' : `Disabled until ${ctx.fmtTime(until)}` }));
    }
    const sigs = item && item.signals && typeof item.signals === 'object' ? item.signals : null;
    const value = sigs && d.signal_type ? sigs[d.signal_type] : null;
    kvRow(dl, 'Signal value', value ? el('div', { class: 'signal', text: String(value) }) : null);
    const matched = el('section', { class: 'card', 'aria-labelledby': 'review-bank-h' },
      el('h2', { id: 'review-bank-h', text: 'Matched bank item' }), dl);
    if (details.bankError || details.itemError) {
      matched.append(el('p', { class: 'hint', text: details.itemError
        ? `The bank item could not be loaded: ${details.itemError}`
        : `The bank could not be loaded: ${details.bankError}` }));
    }

    // The decision.
    const reason = el('input', { type: 'text', id: 'review-reason', name: 'reason', required: true,
      autocomplete: 'off', list: 'review-reasons', 'aria-describedby': 'review-reason-error review-help' });
    const reasonError = el('p', { class: 'error-text', id: 'review-reason-error', role: 'alert' });
    reason.addEventListener('input', () => {
      if (reason.value.trim()) {
        reasonError.textContent = '';
        reason.removeAttribute('aria-invalid');
      }
    });
    const datalist = el('datalist', { id: 'review-reasons' },
      loadList(REASONS_KEY).map((r) => el('option', { value: r })));
    const fp = el('input', { type: 'checkbox', id: 'review-fp', name: 'false_positive',
      'aria-describedby': 'review-fp-hint' });
    const buttons = ACTIONS.map((a) => el('button', { type: 'button', class: ['btn', a.cls].filter(Boolean),
      'aria-label': a.label, 'aria-keyshortcuts': a.key, dataset: { action: a.action },
      on: { click: () => decide(a.action) } },
      a.label, el('kbd', { 'aria-hidden': 'true' }, a.key)));
    const form = el('form', { class: 'card decide', 'aria-labelledby': 'review-decide-h', novalidate: true,
      on: { submit: (e) => e.preventDefault() } },
      el('h2', { id: 'review-decide-h', text: 'Decision' }),
      el('div', { class: 'field decide__reason' },
        el('label', { htmlFor: 'review-reason', text: 'Reason' }), reason, reasonError, datalist),
      el('div', { class: 'decide__fp' },
        el('label', { class: 'check', htmlFor: 'review-fp' }, fp, 'False positive (disable the bank item)'),
        el('p', { class: 'hint', id: 'review-fp-hint', text: 'Only applies with Keep: the bank item that matched is disabled.' })),
      el('div', { class: 'decide__buttons decide__row' }, buttons));
    form.classList.add('decide');

    const section = el('section', { class: 'review__item', tabindex: '-1',
      'aria-label': `Item #${d.id}`, dataset: { decision: d.id } },
      el('div', { class: 'review__grid' },
        el('div', {}, content),
        el('div', { class: 'stack' }, matched, form)));
    body.replaceChildren(section);
    current = { d, bank, item };
    view = { section, reason, reasonError, fp, buttons, toggleReveal: () => setRevealed(!revealed) };
  }

  async function decide(action) {
    if (!current || busy || !view) return;
    const { d } = current;
    const v = view;
    const reason = v.reason.value.trim();
    if (!reason) {
      v.reasonError.textContent = 'A reason is required';
      v.reason.setAttribute('aria-invalid', 'true');
      v.reason.focus();
      return;
    }
    busy = true;
    for (const b of v.buttons) b.disabled = true;
    try {
      await ctx.api('POST', `/a/review/${encodeURIComponent(d.id)}/decide`,
        { action, reason, false_positive: action === 'keep' && v.fp.checked });
      if (!alive) return;
      const reasons = [reason, ...loadList(REASONS_KEY).filter((r) => r !== reason)].slice(0, 12);
      saveList(REASONS_KEY, reasons);
      if (action === 'escalate') {
        escalated.add(d.id);
        saveList(ESCALATED_KEY, [...escalated]);
      }
      ctx.say(`Decision recorded: ${action} #${d.id}`);
      current = null;
      busy = false;
      await load();
      if (!alive) return;
      if (view && view.section) view.section.focus();
      else focusEmpty();
    } catch (e) {
      if (!alive) return;
      busy = false;
      for (const b of v.buttons) b.disabled = false;
      if (e.status === 401 || e.status === 403) return;
      if (e.status === 409 || e.status === 404) {
        ctx.alert(`Decision #${d.id} was not recorded: ${e.message}. Showing the next item.`);
        refused.add(d.id);
        current = null;
        await load();
      } else {
        ctx.alert(`The decision was not recorded: ${e.message}`);
      }
    }
  }

  function focusEmpty() {
    const box = root.querySelector('#review-empty');
    if (box) {
      box.setAttribute('tabindex', '-1');
      box.focus();
    }
  }

  function onKey(e) {
    if (!alive || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (isTextField(t)) {
      if (e.key === 'Escape' && view && t === view.reason) {
        e.preventDefault();
        view.section.focus();
      }
      return;
    }
    if (!current || !view) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key === 'Enter' && isActivatable(t)) return;
    if (e.repeat && key !== '/') return;
    switch (key) {
      case 'r': e.preventDefault(); decide('remove'); break;
      case 'k': e.preventDefault(); decide('keep'); break;
      case 'e': e.preventDefault(); decide('escalate'); break;
      case 'v': e.preventDefault(); view.toggleReveal(); break;
      case '/':
      case 'Enter':
        e.preventDefault();
        view.reason.focus();
        break;
      default: break;
    }
  }

  document.addEventListener('keydown', onKey);
  load();
  countTimer = setTimeout(recount, COUNT_POLL_MS);

  return () => {
    alive = false;
    clearTimeout(pollTimer);
    clearInterval(renewTimer);
    clearTimeout(countTimer);
    document.removeEventListener('keydown', onKey);
  };
}

export default { path: 'review', title: 'Review', role: 'reviewer', render };
