// pages/orders.js - removal orders (TCO Art 3): each with a live countdown
// to its one-hour deadline on the server's clock, coloured and labelled as
// it nears; an order's Annex I fields; and its steps (executed,
// clarification requested, force majeure, rejected, and resuming a stopped
// clock).

const POLL_MS = 30000;
const WARN_S = 30 * 60;
const URGENT_S = 10 * 60;

const STATE_LABEL = {
  received: 'Received',
  clarification_requested: 'Clarification requested',
  force_majeure: 'Force majeure',
  executed: 'Executed',
  rejected: 'Rejected',
};
const STATE_BADGE = {
  received: 'badge--info',
  clarification_requested: 'badge--warn',
  force_majeure: 'badge--warn',
  executed: 'badge--ok',
  rejected: 'badge--neutral',
};
const OPEN = new Set(['received', 'clarification_requested', 'force_majeure']);
const STOPPED = new Set(['clarification_requested', 'force_majeure']);

// The steps an operator may take, and from which states (lib/act/order.c).
const STEPS = [
  { to: 'executed', label: 'Executed', cls: 'btn--primary', from: OPEN, done: 'marked executed' },
  { to: 'clarification_requested', label: 'Clarification requested', from: new Set(['received']),
    done: 'clarification requested; the clock is stopped' },
  { to: 'force_majeure', label: 'Force majeure', from: new Set(['received']),
    done: 'force majeure; the clock is stopped' },
  { to: 'received', label: 'Resume the clock', from: STOPPED, done: 'the clock runs again, for a whole hour' },
  { to: 'rejected', label: 'Reject', cls: 'btn--danger', from: OPEN, done: 'rejected' },
];

function pad(n) { return String(n).padStart(2, '0'); }

// 2833 -> "47:13"; 3725 -> "1:02:05".
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return h ? `${h}:${pad(m)}:${pad(ss)}` : `${m}:${pad(ss)}`;
}

// 2833 -> "47 minutes 13 seconds", for screen readers.
function spoken(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const part = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const out = [];
  if (h) out.push(part(h, 'hour'));
  if (m || h) out.push(part(m, 'minute'));
  if (!h) out.push(part(ss, 'second'));
  return out.join(' ');
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// What an order's countdown shows at server time `now`: level (ok, warn,
// urgent, overdue, stopped, done, late, closed), text, the spoken label and
// an optional flag word, so that nothing is told by colour alone.
function countdown(o, now) {
  if (o.state === 'received') {
    const left = (o.deadline || 0) - now;
    if (left <= 0) {
      const t = `overdue by ${clock(-left)}`;
      return { level: 'overdue', text: t, label: `Overdue by ${spoken(-left)}`, flag: 'Overdue' };
    }
    const level = left <= URGENT_S ? 'urgent' : left <= WARN_S ? 'warn' : 'ok';
    const flag = level === 'urgent' ? 'Urgent' : level === 'warn' ? 'Due soon' : '';
    return { level, text: `${clock(left)} left`,
      label: `${spoken(left)} left${flag ? ', ' + flag.toLowerCase() : ''}`, flag };
  }
  if (STOPPED.has(o.state)) {
    return { level: 'stopped', text: 'clock stopped',
      label: 'Clock stopped: the hour restarts in full when the clock is resumed', flag: '' };
  }
  if (o.state === 'executed') {
    const took = (o.executed_at || 0) - (o.received_at || 0) - (o.clock_stopped_seconds || 0);
    const onTime = !!o.on_time;
    return { level: onTime ? 'done' : 'late',
      text: `executed in ${clock(took)} (${onTime ? 'on time' : 'late'})`,
      label: `Executed in ${spoken(took)}, ${onTime ? 'on time' : 'late'}`, flag: '' };
  }
  return { level: 'closed', text: STATE_LABEL[o.state] ? STATE_LABEL[o.state].toLowerCase() : String(o.state || ''),
    label: STATE_LABEL[o.state] || String(o.state || ''), flag: '' };
}

const LEVEL_RANK = { ok: 0, warn: 1, urgent: 2, overdue: 3 };

function render(root, ctx) {
  const { el } = ctx;
  let alive = true;
  let offsetMs = 0;          // server clock minus the browser's
  let orders = [];
  let selectedId = null;
  let tickTimer = 0;
  let pollTimer = 0;
  let loading = false;       // a Promise while a fetch is under way
  const rows = new Map();    // id -> { tr, cd, cells, order, level }
  let detail = null;         // { id, tr, state, ... }
  const announced = new Map(); // id -> the highest level announced

  const serverNow = () => (Date.now() + offsetMs) / 1000;

  // ---- Page frame ----------------------------------------------------------

  const filter = el('select', { id: 'orders-state', name: 'state' },
    el('option', { value: '' }, 'All'),
    el('option', { value: 'open' }, 'Open (all three open states)'),
    Object.entries(STATE_LABEL).map(([v, l]) => el('option', { value: v }, l)));
  filter.addEventListener('change', () => { closeDetail(); refresh(); });
  const refreshButton = el('button', { type: 'button', class: 'btn btn--small',
    on: { click: () => refresh(true) } }, 'Refresh');
  const updated = el('span', { class: 'muted num', id: 'orders-updated' });
  const summary = el('div', { class: 'orders__summary', 'aria-label': 'Summary' });
  const tbody = el('tbody');
  const table = el('table', { class: 'data orders__table', id: 'orders-table' },
    el('caption', { text: 'Newest first; times are today’s unless dated. Countdowns follow the server’s clock.' }),
    el('thead', {}, el('tr', {},
      ['Reference', 'Time left', 'State', 'Authority', 'Member state', 'Received', 'Deadline']
        .map((h) => el('th', { scope: 'col', text: h })))),
    tbody);
  const emptyBox = el('div', { class: 'empty', hidden: true });
  const wrap = el('div', { class: 'table-wrap' }, table);

  root.append(
    el('div', { class: 'pagehead' }, el('h1', { text: 'Removal orders' }), summary),
    el('div', { class: 'toolbar' },
      el('div', { class: 'field' }, el('label', { htmlFor: 'orders-state', text: 'State' }), filter),
      el('span', { class: 'spacer' }),
      updated, refreshButton),
    wrap, emptyBox);

  // ---- Data ------------------------------------------------------------------

  async function refresh(userAsked) {
    if (!alive) return;
    if (loading) {
      // One is under way: wait for it, then fetch again, so that what a
      // step changed is shown.
      await loading;
      if (!alive) return;
    }
    let done;
    loading = new Promise((resolve) => { done = resolve; });
    clearTimeout(pollTimer);
    const f = filter.value;
    const q = f && f !== 'open' ? `?state=${encodeURIComponent(f)}` : '';
    wrap.setAttribute('aria-busy', 'true');
    try {
      const t0 = Date.now();
      const res = await ctx.api('GET', `/a/orders${q}`);
      if (!alive) return;
      const t1 = Date.now();
      if (res && typeof res.now === 'number') offsetMs = res.now * 1000 - (t0 + t1) / 2;
      const list = Array.isArray(res) ? res : (res && Array.isArray(res.orders) ? res.orders : []);
      orders = list
        .filter((o) => o && (!f || (f === 'open' ? OPEN.has(o.state) : o.state === f)))
        .sort((a, b) => (b.received_at - a.received_at) || (b.id - a.id));
      updated.textContent = `Updated ${ctx.fmtTime(serverNow()).slice(11)}`;
      draw();
      if (userAsked) ctx.say(`Orders refreshed: ${orders.length} shown`);
    } catch (e) {
      if (!alive) return;
      if (e.status !== 401 && e.status !== 403) ctx.alert(`The orders could not be loaded: ${e.message}`);
    } finally {
      loading = false;
      done();
      if (alive) {
        wrap.setAttribute('aria-busy', 'false');
        pollTimer = setTimeout(() => refresh(), POLL_MS);
      }
    }
  }

  // ---- Table -------------------------------------------------------------------

  function makeRow(o) {
    const toggle = el('button', { type: 'button', class: 'btn btn--quiet', 'aria-expanded': 'false',
      'aria-controls': `order-detail-${o.id}`, on: { click: () => toggleDetail(o.id) } });
    const cd = el('span', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
    // In the order of the columns: the time left comes second, so that it
    // is never the one pushed off a narrow screen.
    const cells = {
      ref: el('td', { class: 'orders__ref' }, toggle),
      left: el('td', { class: 'orders__left' }, cd),
      state: el('td'),
      authority: el('td', { class: 'orders__authority' }),
      member: el('td'),
      received: el('td', { class: 'tnum' }),
      deadline: el('td', { class: 'tnum' }),
    };
    const tr = el('tr', { dataset: { order: o.id } }, Object.values(cells));
    return { tr, cd, toggle, cells, order: o, level: null };
  }

  function fillRow(row, o) {
    row.order = o;
    row.toggle.textContent = o.reference || `Order ${o.id}`;
    row.cells.authority.textContent = o.authority || '';
    row.cells.member.textContent = o.member_state || '';
    row.cells.state.replaceChildren(el('span', { class: ['badge', STATE_BADGE[o.state] || 'badge--neutral'],
      text: STATE_LABEL[o.state] || String(o.state || '') }));
    setTime(row.cells.received, o.received_at);
    setTime(row.cells.deadline, o.deadline);
    const open = selectedId === o.id;
    row.toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    row.tr.classList.toggle('is-selected', open);
    tick1(row, serverNow(), false);
  }

  // A time in a table cell: the time of day for today's, with the date
  // otherwise; the full time in a <time> element's datetime.
  function setTime(td, unix) {
    if (!unix) {
      td.textContent = '—';
      return;
    }
    const full = ctx.fmtTime(unix);
    const today = ctx.fmtTime(Date.now() / 1000).slice(0, 10);
    const short = full.slice(0, 10) === today ? full.slice(11) : full.slice(0, 16);
    if (td.dataset.full === full) return;
    td.dataset.full = full;
    td.replaceChildren(el('time', { datetime: new Date(unix * 1000).toISOString(), title: full, text: short }));
  }

  function tick1(row, now, announce) {
    const c = countdown(row.order, now);
    const cd = row.cd;
    if (row.level !== c.level) {
      for (const cls of [...cd.classList]) if (cls.startsWith('countdown--')) cd.classList.remove(cls);
      cd.classList.add(`countdown--${c.level}`);
      for (const cls of [...row.tr.classList]) if (cls.startsWith('row--')) row.tr.classList.remove(cls);
      if (LEVEL_RANK[c.level]) row.tr.classList.add(`row--${c.level}`);
      const prev = announced.get(row.order.id);
      if (announce && LEVEL_RANK[c.level] && (prev === undefined || LEVEL_RANK[c.level] > prev)) {
        const what = c.level === 'overdue' ? 'is overdue' : c.level === 'urgent'
          ? 'has under 10 minutes left' : 'has under 30 minutes left';
        ctx.say(`Order ${row.order.reference || row.order.id} ${what}`);
      }
      if (LEVEL_RANK[c.level] !== undefined) {
        announced.set(row.order.id, Math.max(LEVEL_RANK[c.level], announced.get(row.order.id) || 0));
      }
      row.level = c.level;
    }
    // Rebuild the text only when it changes.
    if (cd.dataset.text !== c.text || cd.dataset.flag !== c.flag) {
      cd.dataset.text = c.text;
      cd.dataset.flag = c.flag;
      cd.replaceChildren(...[c.flag ? el('span', { class: 'countdown__flag', 'aria-hidden': 'true', text: c.flag }) : null,
        el('span', { class: 'countdown__text', text: c.text })].filter(Boolean));
    }
    cd.setAttribute('aria-label', c.label);
  }

  function draw() {
    const seen = new Set();
    const desired = [];
    for (const o of orders) {
      seen.add(o.id);
      let row = rows.get(o.id);
      if (!row) {
        row = makeRow(o);
        rows.set(o.id, row);
      }
      fillRow(row, o);
      desired.push(row.tr);
      if (selectedId === o.id) {
        if (!detail || detail.id !== o.id || detail.sig !== detailSig(o)) buildDetail(o);
        desired.push(detail.tr);
      }
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    if (selectedId !== null && !seen.has(selectedId)) {
      selectedId = null;
      detail = null;
    }
    const same = desired.length === tbody.children.length && desired.every((n, i) => tbody.children[i] === n);
    if (!same) {
      const active = document.activeElement;
      const selStart = active && 'selectionStart' in active ? active.selectionStart : null;
      tbody.replaceChildren(...desired);
      if (active && active !== document.activeElement && active.isConnected) {
        active.focus({ preventScroll: true });
        if (selStart !== null) try { active.setSelectionRange(selStart, selStart); } catch { /* not text */ }
      }
    }
    const hasRows = orders.length > 0;
    wrap.hidden = !hasRows;
    emptyBox.hidden = hasRows;
    if (!hasRows) {
      emptyBox.replaceChildren(el('strong', filter.value ? 'No orders in this state.' : 'No removal orders.'),
        el('p', { class: 'muted', text: 'Orders received through POST /a/orders appear here.' }));
    }
    drawSummary();
  }

  function drawSummary() {
    let open = 0, soon = 0, over = 0;
    const now = serverNow();
    for (const o of orders) {
      if (!OPEN.has(o.state)) continue;
      open++;
      const c = countdown(o, now);
      if (c.level === 'overdue') over++;
      else if (c.level === 'warn' || c.level === 'urgent') soon++;
    }
    const key = `${open}/${soon}/${over}`;
    if (summary.dataset.key === key) return;
    summary.dataset.key = key;
    summary.replaceChildren(...[
      el('span', { class: 'badge badge--neutral', text: `${open} open` }),
      soon ? el('span', { class: 'badge badge--warn', text: `${soon} due within 30 minutes` }) : null,
      over ? el('span', { class: 'badge badge--bad', text: `${over} overdue` }) : null].filter(Boolean));
  }

  function tick() {
    if (!alive) return;
    const now = serverNow();
    for (const row of rows.values()) tick1(row, now, true);
    drawSummary();
  }

  // ---- One order ---------------------------------------------------------------

  // What the detail row depends on: rebuilt when one of these changes, so
  // that a poll does not wipe a note being typed.
  function detailSig(o) {
    return JSON.stringify([o.state, o.deadline, o.executed_at, o.note, o.clock_stopped_seconds]);
  }

  function toggleDetail(id) {
    if (selectedId === id) closeDetail();
    else {
      selectedId = id;
      detail = null;
    }
    draw();
  }

  function closeDetail() {
    selectedId = null;
    detail = null;
  }

  function kv(dl, term, value) {
    const empty = value === null || value === undefined || value === '';
    dl.append(el('dt', term), empty ? el('dd', { class: 'muted' }, '—')
      : value instanceof Node ? el('dd', {}, value) : el('dd', {}, String(value)));
  }

  function buildDetail(o) {
    const dl = el('dl', { class: 'kv' });
    kv(dl, 'Authority', o.authority);
    kv(dl, 'Member state', o.member_state);
    kv(dl, 'Reference', o.reference);
    kv(dl, 'Issued at', ctx.fmtTime(o.issued_at));
    const locs = Array.isArray(o.locators) ? o.locators : [];
    kv(dl, 'Locators', locs.length ? el('ul', { class: 'orders__locators' },
      locs.map((u) => el('li', { text: String(u) }))) : null);
    kv(dl, 'Reasons', o.reasons);
    kv(dl, 'Redress', o.redress);
    kv(dl, 'Withhold information', o.withhold_information
      ? 'Yes: do not inform the content provider yet (Art 11(3))' : 'No');
    kv(dl, 'Received', ctx.fmtTime(o.received_at));
    kv(dl, 'Deadline', o.deadline ? ctx.fmtTime(o.deadline) : (STOPPED.has(o.state) ? 'Clock stopped' : null));
    if (o.executed_at) kv(dl, 'Executed at', `${ctx.fmtTime(o.executed_at)} (${o.on_time ? 'on time' : 'late'})`);
    kv(dl, 'Clock stopped', o.clock_stopped_seconds ? duration(o.clock_stopped_seconds) : '0 s');
    kv(dl, 'Note', o.note);
    kv(dl, 'Receipt', o.receipt ? el('span', { class: 'mono break', text: o.receipt }) : null);

    const fields = el('section', { 'aria-labelledby': `order-fields-${o.id}` },
      el('h2', { id: `order-fields-${o.id}`, text: `Order ${o.reference || o.id}: Annex I` }), dl);

    let actions;
    if (OPEN.has(o.state)) {
      const note = el('textarea', { id: `order-note-${o.id}`, name: 'note', rows: '3',
        'aria-describedby': `order-note-hint-${o.id} order-note-error-${o.id}` });
      const noteError = el('p', { class: 'error-text', id: `order-note-error-${o.id}`, role: 'alert' });
      note.addEventListener('input', () => {
        if (note.value.trim()) { noteError.textContent = ''; note.removeAttribute('aria-invalid'); }
      });
      const steps = STEPS.filter((s) => s.from.has(o.state));
      const buttons = steps.map((s) => el('button', { type: 'button', class: ['btn', s.cls].filter(Boolean),
        dataset: { to: s.to }, on: { click: () => step(o, s, note, noteError, buttons) } }, s.label));
      actions = el('section', { class: 'orders__actions', 'aria-labelledby': `order-actions-${o.id}` },
        el('h2', { id: `order-actions-${o.id}`, text: 'Actions' }),
        el('div', { class: 'field' },
          el('label', { htmlFor: `order-note-${o.id}`, text: 'Note' }), note,
          el('p', { class: 'hint', id: `order-note-hint-${o.id}`,
            text: 'Recorded with the step in the audit log. Required to reject.' }),
          noteError),
        el('div', { class: 'decide__buttons' }, buttons),
        STOPPED.has(o.state) ? el('p', { class: 'hint',
          text: 'The clock is stopped. Resuming it gives a whole new hour.' }) : null);
    } else {
      actions = el('section', { class: 'orders__actions' },
        el('h2', { text: 'Actions' }),
        el('p', { class: 'muted', text: `This order is ${STATE_LABEL[o.state] ? STATE_LABEL[o.state].toLowerCase() : o.state}: no further steps.` }));
    }

    const tr = el('tr', { class: 'orders__detail', id: `order-detail-${o.id}` },
      el('td', { colspan: '7' }, el('div', { class: 'orders__cols' }, fields, actions)));
    detail = { id: o.id, tr, sig: detailSig(o) };
  }

  async function step(o, s, note, noteError, buttons) {
    const text = note.value.trim();
    if (s.to === 'rejected' && !text) {
      noteError.textContent = 'A note is required to reject an order';
      note.setAttribute('aria-invalid', 'true');
      note.focus();
      return;
    }
    for (const b of buttons) b.disabled = true;
    try {
      const body = { to: s.to };
      if (text) body.note = text;
      await ctx.api('POST', `/a/orders/${encodeURIComponent(o.id)}/step`, body);
      if (!alive) return;
      ctx.say(`Order ${o.reference || o.id}: ${s.done}`);
      detail = null;
      await refresh();
      const row = rows.get(o.id);
      if (row) row.toggle.focus({ preventScroll: true });
    } catch (e) {
      if (!alive) return;
      for (const b of buttons) b.disabled = false;
      if (e.status !== 401 && e.status !== 403) ctx.alert(`The order was not updated: ${e.message}`);
    }
  }

  tickTimer = setInterval(tick, 1000);
  refresh();

  return () => {
    alive = false;
    clearInterval(tickTimer);
    clearTimeout(pollTimer);
  };
}

export default { path: 'orders', title: 'Orders', role: 'reviewer', render };
