// pages/banks.js - the hash lists uploads are matched against: each bank's
// state, labels, thresholds and policy; turning a bank on and off; editing
// its settings; importing a file into it with upload progress; browsing its
// items and turning an item off. Curators edit; a matcher only looks.
// Bank names, labels, notes and sources are attacker-controllable text:
// everything here is built with textContent.

const CSS_HREF = new URL('../pages.css', import.meta.url).href;

function ensureCss() {
  for (const l of document.querySelectorAll('link[rel="stylesheet"]')) if (l.href === CSS_HREF) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = CSS_HREF;
  document.head.append(link);
}

// The formats POST /c/bank/NAME/import reads (lib/store/import.c).
const FORMATS = [
  ['auto', 'Auto-detect'],
  ['hma', 'HMA local file (type value)'],
  ['hashlist', 'PDQ hash list'],
  ['pytx-csv', 'python-threatexchange CSV'],
  ['tcap-json', 'Tech Against Terrorism TCAP JSON'],
  ['ncmec-xml', 'NCMEC XML'],
  ['stopncii-json', 'StopNCII JSON'],
  ['vpdq', 'vPDQ (one video)'],
  ['tmk', 'TMK .tmk file (one video)'],
  ['url-list', 'URL list'],
  ['text-lines', 'Text, one per line'],
];

const DEFAULT_PDQ = 31;
// The matcher reads thresholds.pdq only (lib/match/matcher.c); others are kept.
const THRESHOLD_TYPES = ['pdq'];
// An item disabled until further ahead than this reads as disabled for good.
const FOREVER_AFTER = 4 * 365 * 86400;

function ratioOf(b) {
  const r = b.matching_enabled_ratio ?? b.enabled_ratio;
  return typeof r === 'number' ? r : 1;
}

function itemCountOf(b) {
  for (const k of ['items', 'item_count', 'content_count', 'count'])
    if (typeof b[k] === 'number') return b[k];
  return null;
}

function pct(r) {
  return `${Math.round(r * 1000) / 10} %`;
}

function statusText(r) {
  if (r >= 1) return 'Enabled';
  if (r <= 0) return 'Disabled';
  return `Enabled for ${pct(r)} of lookups`;
}

// In words, what a bank's policy does with a match (tamis_policy_decide in
// lib/act/decision.c): one line per signal type it names, and the rest.
export function describePolicy(policy) {
  if (policy === undefined || policy === null)
    return ['No policy: every match goes to the review queue.'];
  if (typeof policy !== 'object' || Array.isArray(policy))
    return ['Not a JSON object: matches of this bank cannot be decided.'];
  const lines = [];
  const auto = policy.auto && typeof policy.auto === 'object' ? policy.auto : null;
  const review = policy.review && typeof policy.review === 'object' ? policy.review : null;
  const act = policy.action === 'disable' ? 'disabled' : 'removed';
  const trusted = policy.trusted === true;
  const types = new Set([...Object.keys(auto || {}), ...Object.keys(review || {})]);
  // Types with a distance; the others match exactly or not at all.
  const graded = (t) => t === 'pdq' || t === 'vpdq' || t === 'text_tlsh' || t === 'text_near';
  for (const t of [...types].sort()) {
    const a = trusted && auto && Number.isInteger(auto[t]) ? auto[t] : null;
    const r = review && Number.isInteger(review[t]) ? review[t] : null;
    const parts = [];
    if (!graded(t)) {
      parts.push(a !== null ? `${act} automatically on a match` : r !== null ? 'a match goes to review' : 'to review');
    } else {
      if (a !== null) parts.push(`${act} automatically at distance ≤ ${a}`);
      if (r !== null && (a === null || r > a)) parts.push(`sent to review at ≤ ${r}`);
      if (r !== null) parts.push(`no action beyond ${Math.max(r, a ?? r)}`);
      else if (a !== null) parts.push('to review beyond');
      else parts.push('to review');
    }
    lines.push(`${t}: ${parts.join('; ')}.`);
  }
  if (auto && !trusted && Object.keys(auto).length)
    lines.push('"auto" is ignored: the bank is not trusted ("trusted": true), so nothing is removed without a reviewer.');
  lines.push(auto || review ? 'Other signal types: to review.' : 'Every match goes to the review queue.');
  return lines;
}

function itemState(it, now) {
  // GET /c/bank/NAME/content gives disabled_until (0 = enabled); the HMA
  // item shape gives disable_until_ts (1 = enabled, 0 = for good).
  let until = it.disabled_until;
  if (until === undefined && it.disable_until_ts !== undefined)
    until = it.disable_until_ts === 1 ? 0 : it.disable_until_ts === 0 ? Infinity : it.disable_until_ts;
  if (it.disabled === true && !until) until = Infinity;
  if (!until || until <= now) return { disabled: false, text: 'Enabled' };
  if (until === Infinity || until - now > FOREVER_AFTER) return { disabled: true, text: 'Disabled' };
  return { disabled: true, text: 'Disabled until', until };
}

function truncate(s, n) {
  s = String(s);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export default {
  path: 'banks',
  title: 'Banks',
  role: 'matcher',
  async render(root, ctx) {
    ensureCss();
    const { el } = ctx;
    const canEdit = ctx.can('curator');
    let banks = [];
    let openName = ctx.params && ctx.params[0] ? ctx.params[0] : null;
    let uploading = null; // the XHR's AbortController while an import runs

    const tbody = el('tbody');
    const countLine = el('p', { class: 'pg-lede' });
    const detail = el('section', { class: 'card bk-detail', id: 'bank-detail', hidden: true,
      'aria-labelledby': 'bank-detail-title' });
    const table = el('table', { class: 'data pg-dense bk-table' },
      el('caption', { class: 'pg-vh', text: 'Banks' }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: 'Bank' }),
        el('th', { scope: 'col', text: 'Status' }),
        el('th', { scope: 'col', class: 'bk-col-items', text: 'Items' }),
        el('th', { scope: 'col', text: 'Labels' }),
        el('th', { scope: 'col', text: 'Description' }),
        el('th', { scope: 'col', text: 'PDQ threshold' }),
        el('th', { scope: 'col', text: 'Policy' }),
        canEdit ? el('th', { scope: 'col', text: 'Matching' }) : null)),
      tbody);

    root.append(...[
      el('div', { class: 'pagehead' },
        el('h1', { text: 'Banks' }),
        el('span', { class: 'spacer' }),
        el('button', { type: 'button', class: 'btn btn--quiet btn--small', on: { click: () => load(true) } },
          'Refresh')),
      countLine,
      canEdit ? null : el('p', { class: 'pg-note', text:
        `Your role (${ctx.role}) can look at banks but not change them; curators and admins can.` }),
      el('div', { class: 'table-wrap' }, table),
      detail].filter(Boolean));

    function labelsNode(labels) {
      if (!Array.isArray(labels) || !labels.length) return el('span', { class: 'muted', text: '—' });
      return el('ul', { class: 'pg-tags' },
        labels.map((l) => el('li', { class: 'tag', text: String(l) })));
    }

    function badge(r) {
      const cls = r >= 1 ? 'badge--ok' : r <= 0 ? 'badge--neutral' : 'badge--warn';
      return el('span', { class: ['badge', cls], text: statusText(r) });
    }

    function row(b) {
      const r = ratioOf(b);
      const open = b.name === openName;
      const nameBtn = el('button', { type: 'button', class: 'pg-link bk-name', 'aria-expanded': open ? 'true' : 'false',
        'aria-controls': 'bank-detail', on: { click: () => toggleOpen(b.name) } },
        el('span', { class: 'pg-vh', text: 'Open bank ' }), b.name);
      const th = b.thresholds && typeof b.thresholds === 'object' ? b.thresholds : {};
      const pdq = Number.isInteger(th.pdq) ? String(th.pdq) : `${DEFAULT_PDQ} (default)`;
      const n = itemCountOf(b);
      const policyLines = describePolicy(b.policy);
      const tr = el('tr', { class: open ? 'is-selected' : null, dataset: { bank: b.name } },
        el('th', { scope: 'row' }, nameBtn),
        el('td', {}, badge(r)),
        el('td', { class: 'num bk-col-items', text: n === null ? '—' : n.toLocaleString() }),
        el('td', {}, labelsNode(b.labels)),
        el('td', { class: 'bk-desc', text: b.description || '' }),
        el('td', { class: 'num', text: pdq }),
        el('td', { class: 'bk-policy' }, b.policy
          ? el('span', { title: policyLines.join('\n'), text: b.policy.trusted ? `trusted, ${b.policy.action === 'disable' ? 'disable' : 'remove'}` : 'review only' })
          : el('span', { class: 'muted', text: 'none: all to review' })),
        canEdit ? el('td', {}, toggleButton(b)) : null);
      return tr;
    }

    function toggleButton(b) {
      const r = ratioOf(b);
      const on = r > 0;
      const label = `${on ? 'Disable' : 'Enable'} bank ${b.name}`;
      const btn = el('button', { type: 'button', class: ['btn', 'btn--small', on ? 'btn--danger-quiet' : 'btn--primary'],
        'aria-label': label, title: on ? 'Stop matching against this bank' : 'Match against this bank again' },
      on ? 'Disable' : 'Enable');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          const nb = await ctx.api('PUT', `/c/bank/${encodeURIComponent(b.name)}`, { enabled_ratio: on ? 0 : 1 });
          Object.assign(b, nb);
          ctx.say(on ? `Bank ${b.name} disabled: its items no longer match.` : `Bank ${b.name} enabled: its items match again.`);
          redrawRow(b, true);
          if (openName === b.name) renderDetail(b);
        } catch (e) {
          if (e.status !== 403) ctx.alert(`Could not change bank ${b.name}: ${e.message}`);
          btn.disabled = false;
        }
      });
      return btn;
    }

    function redrawRow(b, refocus) {
      const old = [...tbody.rows].find((tr) => tr.dataset.bank === b.name);
      const tr = row(b);
      if (old) old.replaceWith(tr); else tbody.append(tr);
      if (refocus) {
        const btn = tr.querySelector('td:last-child button');
        if (btn) btn.focus();
      }
    }

    function drawTable() {
      tbody.replaceChildren(...banks.map(row));
      if (!banks.length)
        tbody.append(el('tr', {}, el('td', { colspan: canEdit ? 8 : 7, class: 'muted',
          text: 'No banks yet. Create one with POST /c/banks or import a file with tamis import.' })));
      const hasCounts = banks.some((b) => itemCountOf(b) !== null);
      table.classList.toggle('bk-no-counts', !hasCounts);
      const off = banks.filter((b) => ratioOf(b) <= 0).length;
      countLine.textContent = `${banks.length} ${banks.length === 1 ? 'bank' : 'banks'}` +
        (off ? `, ${off} disabled` : '') + '. Uploads are matched against every enabled bank.';
    }

    // Reloads the list; the open bank's panel is drawn again only when asked
    // (not after an import, whose report it shows).
    async function load(announce, keepDetail) {
      try {
        const list = await ctx.api('GET', '/c/banks');
        banks = Array.isArray(list) ? list : [];
      } catch (e) {
        if (e.status !== 403) ctx.alert(`Could not load the banks: ${e.message}`);
        return;
      }
      if (!ctx.isCurrent || ctx.isCurrent()) {
        drawTable();
        const b = banks.find((x) => x.name === openName);
        if (!b) closeDetail(false);
        else if (!keepDetail) renderDetail(b);
        if (announce) ctx.say('Banks refreshed.');
      }
    }

    function setHash(name) {
      const h = name ? `#/banks/${encodeURIComponent(name)}` : '#/banks';
      if (location.hash !== h) history.pushState(null, '', h);
    }

    function toggleOpen(name) {
      if (openName === name) {
        closeDetail(true);
        return;
      }
      openName = name;
      setHash(name);
      drawTable();
      const b = banks.find((x) => x.name === name);
      if (b) {
        renderDetail(b);
        const h = detail.querySelector('h2');
        if (h) h.focus();
      }
    }

    function closeDetail(refocus) {
      const was = openName;
      openName = null;
      detail.hidden = true;
      detail.replaceChildren();
      if (refocus) {
        setHash(null);
        drawTable();
        const tr = [...tbody.rows].find((r) => r.dataset.bank === was);
        if (tr) tr.querySelector('.bk-name').focus();
      }
    }

    // ---- The open bank ---------------------------------------------------------

    function renderDetail(b) {
      detail.hidden = false;
      const path = `/c/bank/${encodeURIComponent(b.name)}`;
      detail.replaceChildren(
        el('div', { class: 'pagehead' },
          el('h2', { id: 'bank-detail-title', tabindex: '-1' }, el('span', { class: 'muted', text: 'Bank ' }), b.name),
          el('span', { class: 'spacer' }),
          ctx.can('reviewer') ? el('a', { href: `#/decisions?bank=${encodeURIComponent(b.name)}`,
            text: 'Decisions from this bank' }) : null,
          el('button', { type: 'button', class: 'btn btn--quiet btn--small', 'aria-label': `Close bank ${b.name}`,
            on: { click: () => closeDetail(true) } }, 'Close')),
        el('div', { class: 'bk-grid' },
          canEdit ? settingsForm(b, path) : settingsView(b),
          canEdit ? importForm(b, path) : null),
        itemsSection(b, path));
    }

    function settingsView(b) {
      const th = b.thresholds && typeof b.thresholds === 'object' ? b.thresholds : {};
      return el('section', { class: 'bk-box', 'aria-labelledby': 'bk-settings-h' },
        el('h3', { id: 'bk-settings-h', text: 'Settings' }),
        el('dl', { class: 'kv' },
          el('dt', { text: 'Status' }), el('dd', { text: statusText(ratioOf(b)) }),
          el('dt', { text: 'Description' }), el('dd', { text: b.description || '—' }),
          el('dt', { text: 'Labels' }), el('dd', {}, labelsNode(b.labels)),
          el('dt', { text: 'Thresholds' }), el('dd', { text: Object.keys(th).length
            ? Object.entries(th).map(([k, v]) => `${k} ≤ ${v}`).join(', ') : `pdq ≤ ${DEFAULT_PDQ} (default)` }),
          el('dt', { text: 'Policy' }), el('dd', {},
            el('ul', { class: 'bk-explain' }, describePolicy(b.policy).map((l) => el('li', { text: l }))),
            b.policy ? el('pre', { class: 'pg-json', text: JSON.stringify(b.policy, null, 2) }) : null)));
    }

    function settingsForm(b, path) {
      const id = (s) => `bk-${s}`;
      const th = b.thresholds && typeof b.thresholds === 'object' ? { ...b.thresholds } : {};
      const desc = el('input', { id: id('desc'), type: 'text', value: b.description || '', maxlength: '1000' });
      const labels = el('input', { id: id('labels'), type: 'text', 'aria-describedby': id('labels-hint'),
        value: Array.isArray(b.labels) ? b.labels.join(', ') : '' });
      const thInputs = {};
      const thTypes = [...new Set([...THRESHOLD_TYPES, ...Object.keys(th)])];
      const thFields = thTypes.map((t) => {
        const inp = el('input', { id: id(`th-${t}`), type: 'number', min: '0', max: '256', step: '1', inputmode: 'numeric',
          class: 'bk-num', value: Number.isInteger(th[t]) ? String(th[t]) : '',
          placeholder: t === 'pdq' ? String(DEFAULT_PDQ) : '', 'aria-describedby': id('th-hint') });
        thInputs[t] = inp;
        return el('div', { class: 'field field--inline' },
          el('label', { htmlFor: inp.id, text: `Threshold for ${t}` }), inp);
      });
      const policy = el('textarea', { id: id('policy'), rows: '7', spellcheck: 'false', class: 'mono',
        'aria-describedby': `${id('policy-hint')} ${id('policy-explain')}`,
        value: b.policy ? JSON.stringify(b.policy, null, 2) : '' });
      const explain = el('ul', { class: 'bk-explain', id: id('policy-explain') });
      const drawExplain = () => {
        const t = policy.value.trim();
        let lines;
        if (!t) lines = b.policy ? ['Empty: the current policy is kept (the API cannot remove a policy; use {} to send every match to review).'] : describePolicy(null);
        else {
          try { lines = describePolicy(JSON.parse(t)); } catch (e) { lines = [`Not valid JSON yet: ${e.message}`]; }
        }
        explain.replaceChildren(...lines.map((l) => el('li', { text: l })));
      };
      policy.addEventListener('input', drawExplain);
      drawExplain();
      const err = el('p', { class: 'error-text', role: 'alert' });
      const save = el('button', { type: 'submit', class: 'btn btn--primary' }, 'Save settings');
      const form = el('form', { class: 'bk-box', 'aria-labelledby': 'bk-settings-h', novalidate: true },
        el('h3', { id: 'bk-settings-h', text: 'Settings' }),
        el('div', { class: 'field' }, el('label', { htmlFor: desc.id, text: 'Description' }), desc),
        el('div', { class: 'field' }, el('label', { htmlFor: labels.id, text: 'Labels' }), labels,
          el('p', { class: 'hint', id: id('labels-hint'), text: 'Comma-separated, e.g. terrorism, gifct.' })),
        el('fieldset', { class: null }, el('legend', { text: 'Match thresholds' }), thFields,
          el('p', { class: 'hint', id: id('th-hint'),
            text: `The largest Hamming distance that counts as a match; empty for the default (${DEFAULT_PDQ}). Lower is stricter.` })),
        el('div', { class: 'field' }, el('label', { htmlFor: policy.id, text: 'Policy (JSON)' }), policy,
          el('p', { class: 'hint', id: id('policy-hint') },
            'What a match leads to, e.g. ',
            el('code', { text: '{"trusted": true, "action": "remove", "auto": {"pdq": 10}, "review": {"pdq": 31}}' }))),
        el('div', { class: 'bk-explain-box' }, el('p', { class: 'bk-explain-title', text: 'What this policy does' }), explain),
        err,
        el('div', { class: 'pg-actions' }, save));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.textContent = '';
        const body = {};
        body.description = desc.value.trim() ? desc.value.trim() : null;
        body.labels = labels.value.split(',').map((s) => s.trim()).filter(Boolean);
        const nth = { ...th };
        for (const [t, inp] of Object.entries(thInputs)) {
          const v = inp.value.trim();
          if (v === '') { delete nth[t]; continue; }
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0 || n > 256) {
            err.textContent = `The threshold for ${t} must be a whole number from 0 to 256.`;
            inp.focus();
            return;
          }
          nth[t] = n;
        }
        body.thresholds = nth;
        const pt = policy.value.trim();
        if (pt) {
          let p;
          try { p = JSON.parse(pt); } catch (x) {
            err.textContent = `The policy is not valid JSON: ${x.message}`;
            policy.focus();
            return;
          }
          if (!p || typeof p !== 'object' || Array.isArray(p)) {
            err.textContent = 'The policy must be a JSON object, e.g. {"review": {"pdq": 31}}.';
            policy.focus();
            return;
          }
          body.policy = p;
        }
        save.disabled = true;
        try {
          const nb = await ctx.api('PUT', path, body);
          Object.assign(b, nb);
          if (!('description' in nb)) delete b.description;
          ctx.say(`Settings of bank ${b.name} saved.`);
          redrawRow(b, false);
          renderDetail(b);
          const s = detail.querySelector('#bk-settings-h');
          if (s) { s.setAttribute('tabindex', '-1'); s.focus(); }
        } catch (x) {
          if (x.status !== 403) err.textContent = `Not saved: ${x.message}`;
          save.disabled = false;
        }
      });
      return form;
    }

    function importForm(b, path) {
      const file = el('input', { id: 'bk-file', type: 'file', required: true });
      const format = el('select', { id: 'bk-format' },
        FORMATS.map(([v, t]) => el('option', { value: v, text: t })));
      const source = el('input', { id: 'bk-source', type: 'text', maxlength: '200', 'aria-describedby': 'bk-source-hint' });
      const progress = el('progress', { id: 'bk-progress', max: '1', value: 0, 'aria-label': 'Upload progress' });
      const progressText = el('span', { class: 'muted', 'aria-hidden': 'true' });
      const progressRow = el('div', { class: 'progress-row bk-progress', hidden: true }, progress, progressText);
      const out = el('div', { class: 'bk-report', role: 'status', 'aria-live': 'polite' });
      const go = el('button', { type: 'submit', class: 'btn btn--primary' }, 'Import');
      const form = el('form', { class: 'bk-box', 'aria-labelledby': 'bk-import-h', novalidate: true },
        el('h3', { id: 'bk-import-h', text: 'Import a file' }),
        el('div', { class: 'field' }, el('label', { htmlFor: file.id, text: 'File to import' }), file),
        el('div', { class: 'field' }, el('label', { htmlFor: format.id, text: 'Format' }), format),
        el('div', { class: 'field' }, el('label', { htmlFor: source.id, text: 'Source (optional)' }), source,
          el('p', { class: 'hint', id: 'bk-source-hint', text: 'Recorded on each item as where it came from, e.g. gifct-2024-06.' })),
        el('p', { class: 'hint', text: 'Rows already in the bank are skipped; tombstones remove items. The import is one transaction.' }),
        el('div', { class: 'pg-actions' }, go),
        progressRow,
        out);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        out.replaceChildren();
        const f = file.files && file.files[0];
        if (!f) {
          out.append(el('p', { class: 'error-text', text: 'Choose a file to import first.' }));
          file.focus();
          return;
        }
        const q = new URLSearchParams();
        if (format.value && format.value !== 'auto') q.set('format', format.value);
        if (source.value.trim()) q.set('source', source.value.trim());
        const fd = new FormData();
        fd.append('file', f, f.name);
        go.disabled = true;
        progressRow.hidden = false;
        progress.value = 0;
        progressText.textContent = 'Uploading… 0 %';
        const started = performance.now();
        const ac = new AbortController();
        uploading = ac;
        try {
          const rep = await ctx.api('POST', `${path}/import${q.toString() ? `?${q}` : ''}`, fd, {
            signal: ac.signal,
            onUploadProgress: (frac) => {
              if (frac >= 1) {
                progress.removeAttribute('value'); // indeterminate: the server is importing
                progressText.textContent = 'Uploaded; importing…';
              } else {
                progress.value = frac;
                progressText.textContent = `Uploading… ${Math.round(frac * 100)} %`;
              }
            },
          });
          progress.value = 1;
          progressText.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s`;
          showReport(out, rep, f.name);
          ctx.say(`Imported ${f.name} into ${b.name}: ${rep.added ?? 0} added, ${rep.removed ?? 0} removed, ${rep.skipped ?? 0} skipped.`);
          if (itemsLoaded) reloadItems();
          load(false, true);
        } catch (x) {
          if (x && x.name === 'AbortError') return;
          progressRow.hidden = true;
          if (x.status !== 403)
            out.append(el('p', { class: 'error-text', role: 'alert', text: `Import failed: ${x.message}` }));
        } finally {
          if (uploading === ac) uploading = null;
          go.disabled = false;
        }
      });
      return form;
    }

    function showReport(out, rep, name) {
      const stat = (label, v) => el('div', { class: 'pg-stat' },
        el('dt', { text: label }), el('dd', { text: (v ?? 0).toLocaleString() }));
      const rejects = Array.isArray(rep.rejects) ? rep.rejects : [];
      // Rows already in the bank are skipped without being listed.
      const already = rejects.length < 100 ? Math.max(0, (rep.skipped ?? 0) - rejects.length) : null;
      out.replaceChildren(...[
        el('h4', { text: `Import report: ${name}` }),
        el('dl', { class: 'pg-stats' },
          stat('Read', rep.read), stat('Added', rep.added), stat('Removed', rep.removed), stat('Skipped', rep.skipped)),
        already ? el('p', { class: 'hint', text: `${already.toLocaleString()} ${already === 1 ? 'row was' : 'rows were'} already in the bank.` }) : null,
        rejects.length ? el('p', { text: rejects.length >= 100 ? 'The first 100 rows that could not be read:' :
          `${rejects.length} ${rejects.length === 1 ? 'row' : 'rows'} could not be read:` }) : null,
        rejects.length ? el('table', { class: 'data pg-dense' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'num', text: 'Row' }), el('th', { scope: 'col', text: 'Problem' }))),
          el('tbody', {}, rejects.slice(0, 20).map((r) => el('tr', {},
            el('td', { class: 'num', text: String(r.position ?? '') }), el('td', { class: 'break', text: String(r.reason ?? '') }))))) : null,
        rejects.length > 20 ? el('p', { class: 'hint', text: `…and ${rejects.length - 20} more.` }) : null,
      ].filter(Boolean));
    }

    // ---- Items -------------------------------------------------------------------

    let itemsLoaded = false;
    let reloadItems = () => {};

    function itemsSection(b, path) {
      itemsLoaded = false;
      let after = null;
      let shown = 0;
      const body = el('tbody');
      const table = el('table', { class: 'data pg-dense bk-items', hidden: true },
        el('caption', { class: 'pg-vh', text: `Items of bank ${b.name}` }),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col', text: 'ID' }),
          el('th', { scope: 'col', text: 'State' }),
          el('th', { scope: 'col', text: 'Signals' }),
          el('th', { scope: 'col', text: 'Labels' }),
          el('th', { scope: 'col', text: 'Source' }),
          el('th', { scope: 'col', text: 'Note' }),
          el('th', { scope: 'col', text: 'Added' }),
          canEdit ? el('th', { scope: 'col', text: 'Matching' }) : null)),
        body);
      const info = el('p', { class: 'hint', text: 'Listed 50 at a time, oldest first.' });
      const more = el('button', { type: 'button', class: 'btn', hidden: true, on: { click: () => page(false) } }, 'More');
      const browse = el('button', { type: 'button', class: 'btn', 'aria-label': `Browse items of bank ${b.name}`,
        on: { click: () => page(true) } }, 'Browse items');

      async function page(first) {
        if (first) { after = null; shown = 0; }
        const q = new URLSearchParams({ limit: '50' });
        if (after !== null) q.set('after', String(after));
        browse.disabled = more.disabled = true;
        try {
          const r = await ctx.api('GET', `${path}/content?${q}`);
          const items = Array.isArray(r && r.items) ? r.items : [];
          if (first) body.replaceChildren();
          const now = Date.now() / 1000;
          for (const it of items) body.append(itemRow(b, path, it, now));
          shown += items.length;
          after = r && r.next !== undefined && r.next !== null ? r.next : null;
          table.hidden = false;
          itemsLoaded = true;
          browse.textContent = 'Reload items';
          browse.setAttribute('aria-label', `Reload items of bank ${b.name}`);
          more.hidden = after === null;
          info.textContent = shown === 0 ? 'This bank has no items.' :
            `${shown.toLocaleString()} ${shown === 1 ? 'item' : 'items'} shown${after === null ? ', all of them' : ''}.`;
          if (!first && items.length) {
            const firstNew = body.rows[body.rows.length - items.length];
            if (firstNew) { firstNew.cells[0].setAttribute('tabindex', '-1'); firstNew.cells[0].focus(); }
          }
          ctx.say(first ? info.textContent : `${items.length} more items loaded.`);
        } catch (x) {
          if (x.status !== 403)
            info.textContent = x.status === 404 && /not found/i.test(x.message) && !/bank/i.test(x.message)
              ? 'This server cannot list items yet (GET /c/bank/NAME/content).'
              : `Could not load the items: ${x.message}`;
        } finally {
          browse.disabled = more.disabled = false;
        }
      }
      reloadItems = () => page(true);

      return el('section', { class: 'bk-box bk-items-box', 'aria-labelledby': 'bk-items-h' },
        el('div', { class: 'pagehead' }, el('h3', { id: 'bk-items-h', text: 'Items' }), el('span', { class: 'spacer' }), browse),
        info,
        el('div', { class: 'table-wrap' }, table),
        el('div', { class: 'pg-actions' }, more));
    }

    function signalsNode(signals) {
      const entries = signals && typeof signals === 'object' ? Object.entries(signals) : [];
      if (!entries.length) return el('span', { class: 'muted', text: '—' });
      return el('ul', { class: 'bk-signals' }, entries.map(([t, v]) =>
        el('li', {}, el('span', { class: 'bk-sigtype', text: t }), ' ',
          el('code', { class: 'mono', title: String(v), text: truncate(v, 20) }))));
    }

    function itemRow(b, path, it, now) {
      const st = itemState(it, now);
      const stateCell = el('td', {}, el('span', { class: ['badge', st.disabled ? 'badge--neutral' : 'badge--ok'],
        text: st.until ? `${st.text} ${ctx.fmtTime(st.until)}` : st.text }));
      const tr = el('tr', { class: st.disabled ? 'is-disabled' : null },
        el('th', { scope: 'row', class: 'num', text: String(it.id) }),
        stateCell,
        el('td', {}, signalsNode(it.signals)),
        el('td', {}, labelsNode(it.labels)),
        el('td', { text: it.source || '' }),
        el('td', { class: 'bk-note', text: it.note || '' }),
        el('td', { class: 'pg-nowrap', text: ctx.fmtTime(it.added_at) }),
        canEdit ? el('td', {}, itemToggle(b, path, it, st.disabled)) : null);
      return tr;
    }

    function itemToggle(b, path, it, disabled) {
      const label = `${disabled ? 'Enable' : 'Disable'} item ${it.id}`;
      const btn = el('button', { type: 'button', class: ['btn', 'btn--small', disabled ? 'btn--primary' : 'btn--danger-quiet'],
        'aria-label': label }, disabled ? 'Enable' : 'Disable');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          // HMA's disable_until_ts: 0 disables until set again, 1 enables.
          const r = await ctx.api('PUT', `${path}/content/${encodeURIComponent(it.id)}`,
            { disable_until_ts: disabled ? 1 : 0 });
          const ts = r && typeof r.disable_until_ts === 'number' ? r.disable_until_ts : (disabled ? 1 : 0);
          it.disabled_until = ts === 1 ? 0 : ts === 0 ? Infinity : ts;
          delete it.disable_until_ts;
          const tr = btn.closest('tr');
          const nr = itemRow(b, path, it, Date.now() / 1000);
          tr.replaceWith(nr);
          const nb = nr.querySelector('td:last-child button');
          if (nb) nb.focus();
          ctx.say(disabled ? `Item ${it.id} enabled: it matches again.` : `Item ${it.id} disabled: it no longer matches.`);
        } catch (x) {
          if (x.status !== 403) ctx.alert(`Could not change item ${it.id}: ${x.message}`);
          btn.disabled = false;
        }
      });
      return btn;
    }

    await load(false);
    if (openName && !banks.some((b) => b.name === openName))
      ctx.say(`There is no bank named ${openName}.`);
    else if (openName) {
      const h = detail.querySelector('h2');
      if (h) h.focus();
    }
    return () => {
      if (uploading) uploading.abort();
    };
  },
};
