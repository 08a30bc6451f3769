// pages/audit.js - the audit log, for admins: the hash chain's state at the
// top (GET /a/audit/verify: intact with its head, or where it breaks), then
// the entries oldest first, a hundred at a time, filtered in the browser
// by actor, action or subject.

const CSS_HREF = new URL('../pages.css', import.meta.url).href;

function ensureCss() {
  for (const l of document.querySelectorAll('link[rel="stylesheet"]')) if (l.href === CSS_HREF) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = CSS_HREF;
  document.head.append(link);
}

const PAGE = 100;

function compact(v) {
  if (v === null || v === undefined) return '';
  try { return typeof v === 'string' ? v : JSON.stringify(v); } catch { return String(v); }
}

function short(hash) {
  return hash ? `${String(hash).slice(0, 12)}…` : '—';
}

export default {
  path: 'audit',
  title: 'Audit log',
  role: 'admin',
  async render(root, ctx) {
    ensureCss();
    const { el } = ctx;
    let last = 0;          // the largest seq shown, for after=
    let firstBad = 0;      // the entry where the chain breaks, if it does
    let total = null;      // entries in the chain, from verify
    let rows = [];         // [{tr, text}] for the filter

    const banner = el('div', { class: 'pg-banner pg-banner--wait' },
      el('p', { text: 'Checking the chain…' }));
    const verifyBtn = el('button', { type: 'button', class: 'btn btn--small', on: { click: verify } }, 'Verify again');
    const filter = el('input', { id: 'au-filter', type: 'search', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': 'au-filter-hint', 'aria-controls': 'au-table' });
    const count = el('p', { class: 'pg-count', role: 'status' });
    const tbody = el('tbody');
    const table = el('table', { class: 'data pg-dense au-table', id: 'au-table' },
      el('caption', { class: 'pg-vh', text: 'Audit log entries, oldest first' }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', class: 'num', text: 'Seq' }),
        el('th', { scope: 'col', text: 'Time' }),
        el('th', { scope: 'col', text: 'Actor' }),
        el('th', { scope: 'col', text: 'Action' }),
        el('th', { scope: 'col', text: 'Subject' }),
        el('th', { scope: 'col', text: 'Detail' }),
        el('th', { scope: 'col', text: 'Hash' }))),
      tbody);
    const more = el('button', { type: 'button', class: 'btn', hidden: true, on: { click: () => load(false) } }, 'More');
    const newest = el('button', { type: 'button', class: 'btn btn--quiet', hidden: true,
      on: { click: () => load(true, Math.max(0, (total || 0) - PAGE)) } }, 'Jump to the newest');
    const fromStart = el('button', { type: 'button', class: 'btn btn--quiet', hidden: true,
      on: { click: () => load(true, 0) } }, 'Back to the first entry');

    root.append(
      el('div', { class: 'pagehead' }, el('h1', { text: 'Audit log' }), el('span', { class: 'spacer' }), verifyBtn),
      banner,
      el('div', { class: 'toolbar' },
        el('div', { class: 'field au-filter' },
          el('label', { htmlFor: filter.id, text: 'Filter' }), filter,
          el('p', { class: 'hint', id: 'au-filter-hint', text: 'Shows the loaded entries whose actor, action or subject contains this text.' })),
        el('span', { class: 'spacer' }), fromStart, newest),
      count,
      el('div', { class: 'table-wrap' }, table),
      el('div', { class: 'pg-more' }, more));

    filter.addEventListener('input', applyFilter);

    async function verify() {
      verifyBtn.disabled = true;
      banner.className = 'pg-banner pg-banner--wait';
      banner.removeAttribute('role');
      banner.replaceChildren(el('p', { text: 'Checking the chain…' }));
      let v;
      try {
        v = await ctx.api('GET', '/a/audit/verify');
      } catch (e) {
        verifyBtn.disabled = false;
        banner.className = 'pg-banner pg-banner--bad';
        banner.setAttribute('role', 'alert');
        banner.replaceChildren(el('p', { text: `The chain could not be checked: ${e.message}` }));
        return;
      }
      verifyBtn.disabled = false;
      // A broken chain's count stops at the break: no total then.
      total = v.intact && typeof v.entries === 'number' ? v.entries : null;
      if (v.intact) {
        firstBad = 0;
        banner.className = 'pg-banner pg-banner--ok';
        banner.setAttribute('role', 'status');
        banner.replaceChildren(
          el('span', { class: 'pg-banner__icon', 'aria-hidden': 'true', text: '✓' }),
          el('div', {},
            el('p', { class: 'pg-banner__title' },
              `Chain intact: ${(v.entries ?? 0).toLocaleString()} ${v.entries === 1 ? 'entry' : 'entries'}, head `,
              el('code', { text: v.head || '(empty)' })),
            el('p', { class: 'hint', text: 'Keep the head somewhere else: cutting the last entries leaves a shorter chain that is still valid, which only a kept head reveals (tamis audit verify --expect-head).' })));
      } else {
        firstBad = v.first_bad || 0;
        banner.className = 'pg-banner pg-banner--bad';
        banner.setAttribute('role', 'alert');
        banner.replaceChildren(
          el('span', { class: 'pg-banner__icon', 'aria-hidden': 'true', text: '✕' }),
          el('div', {},
            el('p', { class: 'pg-banner__title', text: `Chain BROKEN at entry ${firstBad}: ${v.problem || 'unknown problem'}` }),
            el('p', { text: `${(v.entries ?? 0).toLocaleString()} entries checked. Entries from ${firstBad} on cannot be trusted; keep the database as it is and investigate.` })));
      }
      newest.hidden = !(total && total > PAGE);
      markBad();
    }

    function markBad() {
      for (const { tr } of rows) {
        const bad = firstBad && Number(tr.dataset.seq) === firstBad;
        tr.classList.toggle('is-bad', !!bad);
        const cell = tr.cells[0];
        const flag = cell.querySelector('.badge');
        if (bad && !flag) cell.append(' ', el('span', { class: 'badge badge--bad', text: 'broken here' }));
        else if (!bad && flag) flag.remove();
      }
    }

    function row(e) {
      const detail = compact(e.detail);
      const tr = el('tr', { dataset: { seq: String(e.seq) } },
        el('td', { class: 'num', text: String(e.seq) }),
        el('td', { class: 'num', text: ctx.fmtTime(e.at) }),
        el('td', { class: 'break', text: e.actor || '' }),
        el('td', {}, el('span', { class: 'mono', text: e.action || '' })),
        el('td', { class: 'break', text: e.subject || '' }),
        el('td', { class: 'au-detail' }, detail ? el('code', { text: detail }) : el('span', { class: 'muted', text: '—' })),
        el('td', {}, el('span', { class: 'au-hash', title: e.hash || '', text: short(e.hash) })));
      return { tr, text: `${e.actor || ''}\n${e.action || ''}\n${e.subject || ''}`.toLowerCase() };
    }

    function applyFilter() {
      const f = filter.value.trim().toLowerCase();
      let n = 0;
      for (const r of rows) {
        const show = !f || r.text.includes(f);
        r.tr.hidden = !show;
        if (show) n++;
      }
      const loaded = rows.length;
      const of = total !== null ? ` of ${total.toLocaleString()}` : '';
      count.textContent = !loaded ? 'No entries.' : f
        ? `${n.toLocaleString()} of ${loaded.toLocaleString()} loaded entries match "${filter.value.trim()}".`
        : `${loaded.toLocaleString()}${of} entries loaded, oldest first.`;
    }

    async function load(first, from) {
      const after = first ? (from || 0) : last;
      more.disabled = true;
      table.setAttribute('aria-busy', 'true');
      let list;
      try {
        const r = await ctx.api('GET', `/a/audit?${after > 0 ? `after=${encodeURIComponent(after)}&` : ''}limit=${PAGE}`);
        list = Array.isArray(r && r.entries) ? r.entries : [];
      } catch (e) {
        more.disabled = false;
        table.removeAttribute('aria-busy');
        if (e.status !== 403) ctx.alert(`Could not load the audit log: ${e.message}`);
        return;
      }
      table.removeAttribute('aria-busy');
      more.disabled = false;
      if (first) {
        rows = [];
        tbody.replaceChildren();
        last = after;
      }
      if (first) fromStart.hidden = after === 0;
      const added = list.map(row);
      for (const r of added) tbody.append(r.tr);
      rows.push(...added);
      for (const e of list) if (e.seq > last) last = e.seq;
      more.hidden = list.length < PAGE;
      if (!rows.length)
        tbody.append(el('tr', {}, el('td', { colspan: '7', class: 'muted', text: 'The audit log is empty.' })));
      markBad();
      applyFilter();
      if (!first && added.length) {
        const c = added[0].tr.cells[0];
        c.setAttribute('tabindex', '-1');
        c.focus();
      }
    }

    await Promise.all([verify(), load(true, 0)]);
  },
};
