// pages/decisions.js - the matches and decisions log: every decision tamis
// recorded, newest first, filterable by state, bank, action and signal
// type, each explained (which bank, which item, which signal, variant and
// distance; automated or a reviewer's, and why) with its statement of
// reasons (DSA Art 17) when it restricted content. Filters live in the
// URL (#/decisions?bank=X&action=remove) so a view can be shared.

const CSS_HREF = new URL('../pages.css', import.meta.url).href;

function ensureCss() {
  for (const l of document.querySelectorAll('link[rel="stylesheet"]')) if (l.href === CSS_HREF) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = CSS_HREF;
  document.head.append(link);
}

const PAGE = 50;
const ACTIONS = ['remove', 'disable', 'keep', 'review', 'escalate'];
const SIGNAL_TYPES = ['pdq', 'md5', 'sha256', 'vpdq', 'tmk', 'text_exact', 'text_near', 'text_tlsh', 'url'];
const FILTERS = ['state', 'bank', 'action', 'signal_type'];

// The action as a reader says it, and the badge it wears.
function actionBadge(d) {
  if (d.state === 'pending')
    return d.escalated ? ['Escalated, pending', 'badge--warn'] : ['Pending review', 'badge--info'];
  switch (d.action) {
    case 'remove': return ['Removed', 'badge--bad'];
    case 'disable': return ['Disabled', 'badge--bad'];
    case 'keep': return ['Kept', 'badge--ok'];
    case 'escalate': return ['Escalated', 'badge--warn'];
    case 'review': return ['Review', 'badge--info'];
    default: return [String(d.action || '—'), 'badge--neutral'];
  }
}

function restricted(d) {
  return d.state === 'decided' && (d.action === 'remove' || d.action === 'disable');
}

export default {
  path: 'decisions',
  title: 'Decisions',
  role: 'reviewer',
  async render(root, ctx) {
    ensureCss();
    const { el } = ctx;
    const q = ctx.query || new URLSearchParams();
    let oldest = null;      // the smallest id shown, for before=
    let shown = 0;
    let seq = 0;            // drops answers to superseded requests
    const openRows = new Set();

    const select = (id, label, options, value) => {
      const s = el('select', { id, name: id },
        options.map(([v, t]) => el('option', { value: v, text: t })));
      s.value = options.some(([v]) => v === value) ? value : '';
      return [el('div', { class: 'field' }, el('label', { htmlFor: id, text: label }), s), s];
    };
    const [stateField, stateSel] = select('dc-state', 'State',
      [['', 'All'], ['pending', 'Pending'], ['decided', 'Decided']], q.get('state') || '');
    const [bankField, bankSel] = select('dc-bank', 'Bank', [['', 'Any bank']], '');
    const [actionField, actionSel] = select('dc-action', 'Action',
      [['', 'Any'], ...ACTIONS.map((a) => [a, a])], q.get('action') || '');
    const [sigField, sigSel] = select('dc-signal', 'Signal type',
      [['', 'Any'], ...SIGNAL_TYPES.map((t) => [t, t])], q.get('signal_type') || '');
    const wantBank = q.get('bank') || '';
    if (wantBank) {
      bankSel.append(el('option', { value: wantBank, text: wantBank }));
      bankSel.value = wantBank;
    }
    const sels = { state: stateSel, bank: bankSel, action: actionSel, signal_type: sigSel };

    const form = el('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter decisions' },
      stateField, bankField, actionField, sigField,
      el('button', { type: 'button', class: 'btn btn--quiet', on: { click: reset } }, 'Clear filters'),
      el('span', { class: 'spacer' }),
      el('button', { type: 'submit', class: 'btn' }, 'Refresh'));
    form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
    for (const s of Object.values(sels)) s.addEventListener('change', () => load(true));

    const tbody = el('tbody');
    const table = el('table', { class: 'data pg-dense dc-table' },
      el('caption', { class: 'pg-vh', text: 'Decisions, newest first' }),
      el('thead', {}, el('tr', {},
        [['ID'], ['Time'], ['PUID', 'The platform\'s id of the content'], ['Bank'], ['Item', 'The bank item that matched'],
          ['Signal'], ['Variant', 'Which form of the upload matched: the original, a rotation, a mirror, trimmed'],
          ['Distance'], ['Action'], ['Automated', 'Detection / decision: automated, or by a reviewer'],
          ['Reviewer'], ['Reason']].map(([h, title]) =>
          el('th', { scope: 'col', title, class: h === 'ID' || h === 'Distance' || h === 'Item' ? 'num' : null, text: h })))),
      tbody);
    const count = el('p', { class: 'pg-count', role: 'status' });
    const older = el('button', { type: 'button', class: 'btn', hidden: true, on: { click: () => load(false) } }, 'Older');

    root.append(
      el('div', { class: 'pagehead' }, el('h1', { text: 'Matches and decisions log' })),
      el('p', { class: 'pg-lede', text: 'Every match that led to a decision, newest first: which bank and item matched, ' +
        'with which signal, variant and distance, and who or what decided.' }),
      form,
      count,
      el('div', { class: 'table-wrap' }, table),
      el('div', { class: 'pg-more' }, older));

    // The banks for the Bank filter; a failure leaves "Any bank" and the URL's.
    ctx.api('GET', '/c/banks').then((list) => {
      if (!Array.isArray(list)) return;
      for (const b of list) {
        if (b.name === wantBank) continue;
        bankSel.append(el('option', { value: b.name, text: b.name }));
      }
      bankSel.value = wantBank;
    }).catch(() => {});

    function filters() {
      const f = new URLSearchParams();
      for (const k of FILTERS) if (sels[k].value) f.set(k, sels[k].value);
      return f;
    }

    function reset() {
      for (const s of Object.values(sels)) s.value = '';
      load(true);
      stateSel.focus();
    }

    async function load(first) {
      const f = filters();
      if (first) {
        const h = `#/decisions${f.toString() ? `?${f}` : ''}`;
        if (location.hash !== h) history.replaceState(null, '', h);
      }
      const p = new URLSearchParams(f);
      p.set('limit', String(PAGE));
      if (!first && oldest !== null) p.set('before', String(oldest));
      const mine = ++seq;
      older.disabled = true;
      table.setAttribute('aria-busy', 'true');
      let list;
      try {
        const r = await ctx.api('GET', `/a/decisions?${p}`);
        list = Array.isArray(r && r.decisions) ? r.decisions : [];
      } catch (e) {
        if (mine !== seq) return;
        table.removeAttribute('aria-busy');
        older.disabled = false;
        if (e.status !== 403) ctx.alert(`Could not load the decisions: ${e.message}`);
        return;
      }
      if (mine !== seq) return;
      table.removeAttribute('aria-busy');
      older.disabled = false;
      if (first) {
        tbody.replaceChildren();
        shown = 0;
        oldest = null;
        openRows.clear();
      }
      for (const d of list) {
        tbody.append(row(d));
        oldest = oldest === null ? d.id : Math.min(oldest, d.id);
      }
      shown += list.length;
      older.hidden = list.length < PAGE;
      const filtered = f.toString() !== '';
      if (!shown) {
        tbody.append(el('tr', {}, el('td', { colspan: '12', class: 'muted', text:
          filtered ? 'No decision matches these filters.' : 'No decisions yet: they appear when uploads match a bank (POST /m/match with a puid).' })));
        count.textContent = filtered ? 'No decisions match.' : 'No decisions yet.';
      } else {
        count.textContent = `${shown.toLocaleString()} ${shown === 1 ? 'decision' : 'decisions'} shown, newest first` +
          (older.hidden ? ' (all of them).' : '. Use "Older" for more.');
      }
      if (!first && list.length) {
        const firstNew = [...tbody.rows].find((tr) => tr.dataset.id === String(list[0].id));
        if (firstNew) firstNew.querySelector('button').focus();
      }
    }

    function row(d) {
      const [atext, acls] = actionBadge(d);
      const detection = d.automated_detection ? 'automated' : 'manual';
      const decision = d.state === 'pending' ? 'pending' : d.automated_decision ? 'automated' : 'reviewer';
      const who = d.reviewer || (d.claimed_by ? `${d.claimed_by} (claimed)` : '');
      // The id opens the explanation: first in the row, so it stays in view
      // when the table scrolls sideways.
      const btn = el('button', { type: 'button', class: 'pg-link dc-open', 'aria-expanded': 'false',
        'aria-controls': `dc-detail-${d.id}`, 'aria-label': `Details of decision ${d.id}`,
        title: 'Why: the bank item, signal, distance, and the statement of reasons' },
      el('span', { class: 'dc-chev', 'aria-hidden': 'true' }), String(d.id));
      const tr = el('tr', { dataset: { id: String(d.id) } },
        el('td', { class: 'num' }, btn),
        el('td', { class: 'num', title: d.decided_at ? `Decided ${ctx.fmtTime(d.decided_at)}` : 'Not decided yet',
          text: ctx.fmtTime(d.created_at) }),
        el('td', {}, el('span', { class: 'dc-puid mono', title: d.puid || '', text: d.puid || '—' })),
        el('td', {}, d.bank ? el('a', { href: `#/banks/${encodeURIComponent(d.bank)}`, text: d.bank }) : '—'),
        el('td', { class: 'num', text: d.content_id ? String(d.content_id) : '—' }),
        el('td', { text: d.signal_type || '—' }),
        el('td', { text: d.variant || '—' }),
        el('td', { class: ['num', d.distance === 0 ? 'dc-exact' : null], text: d.distance ?? '—' }),
        el('td', {}, el('span', { class: ['badge', acls], text: atext })),
        el('td', { class: 'dc-auto', title: `Detection: ${detection}; decision: ${decision}` },
          `${detection === 'automated' ? 'auto' : 'manual'} / ${decision === 'automated' ? 'auto' : decision}`),
        el('td', { class: 'dc-who', text: who || '—' }),
        el('td', { class: 'dc-wrap', text: d.reason || '' }));
      btn.addEventListener('click', () => toggle(d, tr, btn));
      return tr;
    }

    function toggle(d, tr, btn) {
      const next = tr.nextElementSibling;
      if (next && next.classList.contains('dc-detail-row')) {
        next.remove();
        tr.classList.remove('is-open');
        btn.setAttribute('aria-expanded', 'false');
        openRows.delete(d.id);
        return;
      }
      const panel = el('div', { class: 'dc-explain' });
      const detail = el('tr', { class: 'dc-detail-row', id: `dc-detail-${d.id}` },
        el('td', { colspan: '12' }, panel));
      tr.after(detail);
      tr.classList.add('is-open');
      btn.setAttribute('aria-expanded', 'true');
      openRows.add(d.id);
      fillDetail(d, panel);
    }

    function fillDetail(d, panel) {
      const item = el('dd', { class: 'muted', text: 'Loading…' });
      const dist = d.signal_type === 'pdq' || d.signal_type === 'vpdq'
        ? `${d.distance} bits (Hamming distance of the ${d.signal_type} hashes)` : d.distance === 0 ? '0 (exact match)' : String(d.distance);
      const why = el('section', {},
        el('h3', { text: 'Why' }),
        el('dl', { class: 'kv' },
          el('dt', { text: 'Content' }), el('dd', { class: 'break mono', text: d.puid || '—' }),
          d.media_url ? el('dt', { text: 'Media URL' }) : null,
          d.media_url ? el('dd', { class: 'break mono', text: d.media_url }) : null,
          el('dt', { text: 'Bank' }), el('dd', { text: d.bank || '—' }),
          el('dt', { text: 'Bank item' }), el('dd', { text: d.content_id ? `#${d.content_id}` : '—' }),
          el('dt', { text: 'Item signal' }), item,
          el('dt', { text: 'Signal' }), el('dd', { text: `${d.signal_type || '—'}, variant ${d.variant || 'original'}` }),
          el('dt', { text: 'Distance' }), el('dd', { text: dist }),
          el('dt', { text: 'Detection' }), el('dd', { text: d.automated_detection ? 'Automated (hash match)' : 'Manual' }),
          el('dt', { text: 'Decision' }), el('dd', { text: d.state === 'pending'
            ? (d.escalated ? 'Escalated; waiting for a senior reviewer' : 'Waiting in the review queue')
            : d.automated_decision ? `Automated, by the bank's policy: ${d.action}` : `By ${d.reviewer || 'a reviewer'}: ${d.action}` }),
          d.reason ? el('dt', { text: 'Reason' }) : null,
          d.reason ? el('dd', { class: 'break', text: d.reason }) : null,
          el('dt', { text: 'Matched' }), el('dd', { text: ctx.fmtTime(d.created_at) || '—' }),
          el('dt', { text: 'Decided' }), el('dd', { text: ctx.fmtTime(d.decided_at) || 'not yet' })));
      // Unlabelled sections: a name holding "Statement" would also match the
      // filter labelled "State".
      const sor = el('section', {}, el('h3', { text: 'Statement of reasons' }));
      panel.replaceChildren(why, sor);

      if (d.bank && d.content_id) {
        ctx.api('GET', `/c/bank/${encodeURIComponent(d.bank)}/content/${encodeURIComponent(d.content_id)}?include_signals=true`)
          .then((it) => {
            const v = it && it.signals ? it.signals[d.signal_type] : undefined;
            item.className = 'break mono';
            item.textContent = v !== undefined ? String(v) : '(the item no longer has this signal)';
          })
          .catch((e) => {
            item.className = 'muted';
            item.textContent = e.status === 404 ? 'The item has been deleted from the bank.' : `Not available: ${e.message}`;
          });
      } else {
        item.textContent = '—';
      }

      if (!restricted(d)) {
        sor.append(el('p', { class: 'muted', text: d.state === 'pending'
          ? 'None yet: a statement of reasons is written once content is removed or disabled.'
          : 'None: this decision did not remove or disable content.' }));
        return;
      }
      const pre = el('pre', { class: 'pg-json', tabindex: '0', text: 'Loading…' });
      sor.append(el('p', { class: 'hint', text: 'As the EU Transparency Database takes it (GET /a/decisions/ID/statement).' }), pre);
      ctx.api('GET', `/a/decisions/${encodeURIComponent(d.id)}/statement`)
        .then((s) => { pre.textContent = typeof s === 'string' ? s : JSON.stringify(s, null, 2); })
        .catch((e) => {
          pre.replaceWith(el('p', { class: 'error-text', text: `No statement: ${e.message}` }));
        });
    }

    await load(true);
  },
};
