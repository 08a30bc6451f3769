// pages/report.js - the transparency report (TCO Art 7(3), DSA Art 15) for
// a chosen period of whole UTC days: the totals from GET /a/report (JSON,
// doc/transparency.md) in words and tables, and the report's two plots.
// The plots are the inline SVG of the HTML format: the page is parsed with
// DOMParser, only its <svg class="plot"> elements are taken, and those are
// stripped to a few drawing elements and attributes before they are
// imported, so nothing in the report's HTML can run or load anything here.
// Both formats can be downloaded as fetched.

const CSS_HREF = new URL('../pages.css', import.meta.url).href;

function ensureCss() {
  for (const l of document.querySelectorAll('link[rel="stylesheet"]')) if (l.href === CSS_HREF) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = CSS_HREF;
  document.head.append(link);
}

const DAY = 86400;
const MAX_DAYS = 3660; // the library's limit on a period

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ELEMENTS = new Set(['svg', 'g', 'rect', 'line', 'path', 'polyline', 'polygon', 'circle',
  'text', 'tspan', 'title', 'desc']);
const SVG_ATTRIBUTES = new Set(['class', 'id', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'dx', 'dy', 'width', 'height',
  'viewbox', 'preserveaspectratio', 'xmlns', 'role', 'text-anchor', 'dominant-baseline', 'd', 'points',
  'cx', 'cy', 'r', 'rx', 'ry', 'transform', 'fill', 'fill-opacity', 'stroke', 'stroke-width',
  'stroke-dasharray', 'stroke-opacity', 'opacity', 'font-size', 'font-weight', 'aria-label', 'aria-hidden']);

// Strips an SVG element in place to the drawing elements and attributes
// above: no script, foreignObject, use, image, animation or link; no event
// handler, href or style attribute. Returns the element.
export function sanitizeSvg(node) {
  for (const child of [...node.children]) {
    if (child.namespaceURI !== SVG_NS || !SVG_ELEMENTS.has(child.localName)) child.remove();
    else sanitizeSvg(child);
  }
  for (const a of [...node.attributes]) {
    const name = a.name.toLowerCase();
    if (name.startsWith('on') || a.localName.toLowerCase() === 'href' || name.includes('href') ||
        !SVG_ATTRIBUTES.has(name) || /(javascript|data|vbscript):/i.test(a.value) || /url\s*\(/i.test(a.value))
      node.removeAttributeNode(a);
  }
  return node;
}

// The <svg class="plot"> elements of the report's HTML, sanitized and
// imported into this document.
export function plotsFrom(html) {
  // The page's own <style> goes first: the parser would apply it to the
  // parsed document, which the CSP refuses (and reports) as inline style.
  const doc = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style\s*>/gi, ''), 'text/html');
  const out = {};
  for (const svg of doc.querySelectorAll('svg.plot')) {
    if (svg.namespaceURI !== SVG_NS || svg.parentElement && svg.parentElement.closest('svg')) continue;
    const clean = document.importNode(sanitizeSvg(svg), true);
    clean.setAttribute('focusable', 'false');
    out[clean.id || `plot-${Object.keys(out).length}`] = clean;
  }
  return out;
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function parseDay(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s || '')) return null;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isNaN(t) || isoDay(new Date(t)) !== s ? null : t / 1000;
}

function fmtDuration(s) {
  if (s === null || s === undefined || Number.isNaN(Number(s))) return '—';
  s = Math.round(Number(s));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const n = (v) => (typeof v === 'number' ? v : 0);
const fmt = (v) => n(v).toLocaleString();
const share = (part, whole) => (whole ? `${Math.round((100 * n(part)) / whole)} %` : '—');

export default {
  path: 'report',
  title: 'Report',
  role: 'reviewer',
  async render(root, ctx) {
    ensureCss();
    const { el } = ctx;
    const q = ctx.query || new URLSearchParams();
    let seq = 0;
    let fetched = null; // {json, html, from, to} of the report shown

    const today = new Date();
    const defTo = isoDay(today);
    const defFrom = isoDay(new Date(today.getTime() - 29 * DAY * 1000));
    const from = el('input', { id: 'rp-from', type: 'date', required: true, value: parseDay(q.get('from')) !== null ? q.get('from') : defFrom });
    const to = el('input', { id: 'rp-to', type: 'date', required: true, value: parseDay(q.get('to')) !== null ? q.get('to') : defTo });
    const show = el('button', { type: 'submit', class: 'btn btn--primary' }, 'Show report');
    const err = el('p', { class: 'error-text', role: 'alert', id: 'rp-error' });
    const dlJson = el('button', { type: 'button', class: 'btn', disabled: true, on: { click: () => download('json') } }, 'Download JSON');
    const dlHtml = el('button', { type: 'button', class: 'btn', disabled: true, on: { click: () => download('html') } }, 'Download HTML');
    const out = el('div', { id: 'rp-out', 'aria-live': 'polite', 'aria-busy': 'false' });

    const form = el('form', { class: 'toolbar', 'aria-label': 'Report period', novalidate: true },
      el('div', { class: 'field' }, el('label', { htmlFor: from.id, text: 'From' }), from),
      el('div', { class: 'field' }, el('label', { htmlFor: to.id, text: 'To' }), to),
      show,
      el('span', { class: 'spacer' }),
      dlJson, dlHtml);
    form.addEventListener('submit', (e) => { e.preventDefault(); load(); });

    root.append(
      el('div', { class: 'pagehead' }, el('h1', { text: 'Transparency report' })),
      el('p', { class: 'pg-lede', text: 'What was removed or disabled, the removal orders and how fast they were executed, ' +
        'notices and complaints, for whole UTC days from "From" to "To", both included (TCO Art 7(3), DSA Art 15).' }),
      form, err, out);

    function period() {
      const f = parseDay(from.value);
      const t = parseDay(to.value);
      if (f === null) return [null, 'Enter the first day of the period in "From".', from];
      if (t === null) return [null, 'Enter the last day of the period in "To".', to];
      if (t < f) return [null, '"To" is before "From": the period would be empty.', to];
      if ((t - f) / DAY + 1 > MAX_DAYS) return [null, `A report covers at most ${MAX_DAYS} days.`, from];
      return [{ from: f, to: t + DAY, fromDay: from.value, toDay: to.value }];
    }

    async function load() {
      err.textContent = '';
      from.removeAttribute('aria-invalid');
      to.removeAttribute('aria-invalid');
      const [p, problem, field] = period();
      if (!p) {
        err.textContent = problem;
        field.setAttribute('aria-invalid', 'true');
        field.focus();
        return;
      }
      const h = `#/report?from=${p.fromDay}&to=${p.toDay}`;
      if (location.hash !== h) history.replaceState(null, '', h);
      const mine = ++seq;
      show.disabled = true;
      out.setAttribute('aria-busy', 'true');
      out.classList.add('is-loading');
      const base = `/a/report?from=${p.from}&to=${p.to}`;
      let json, html;
      try {
        [json, html] = await Promise.all([
          ctx.api('GET', base),
          ctx.api('GET', `${base}&format=html`).catch((e) => ({ error: e })),
        ]);
      } catch (e) {
        if (mine !== seq) return;
        show.disabled = false;
        out.setAttribute('aria-busy', 'false');
        out.classList.remove('is-loading');
        if (e.status !== 403) err.textContent = `The report could not be made: ${e.message}`;
        return;
      }
      if (mine !== seq) return;
      show.disabled = false;
      out.setAttribute('aria-busy', 'false');
      out.classList.remove('is-loading');
      const htmlText = typeof html === 'string' ? html : null;
      fetched = { json, html: htmlText, p };
      dlJson.disabled = false;
      dlHtml.disabled = !htmlText;
      draw(json, htmlText ? plotsFrom(htmlText) : {}, html && html.error);
      ctx.say(`Report from ${p.fromDay} to ${p.toDay}: ${fmt(json.items_actioned && json.items_actioned.total)} items removed or disabled, ` +
        `${fmt(json.removal_orders && json.removal_orders.received)} removal orders.`);
    }

    // A download through a temporary <a download> on a blob: URL (a
    // navigation, which the CSP does not restrict).
    function download(kind) {
      if (!fetched) return;
      const { p } = fetched;
      const text = kind === 'json' ? JSON.stringify(fetched.json, null, 2) : fetched.html;
      if (!text) return;
      const blob = new Blob([text], { type: kind === 'json' ? 'application/json' : 'text/html' });
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: `tamis-report-${p.fromDay}-to-${p.toDay}.${kind}`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
      ctx.say(`Report downloaded as ${kind.toUpperCase()}.`);
    }

    function tile(label, value, sub) {
      return el('div', { class: 'pg-stat' },
        el('dt', {}, label, sub ? el('span', { class: 'rp-sub', text: sub }) : null),
        el('dd', { text: value }));
    }

    function groupTable(caption, what, group) {
      const entries = group && typeof group === 'object' ? Object.entries(group) : [];
      return el('table', { class: 'data pg-dense' },
        el('caption', { text: caption }),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col', text: what }),
          ...['Total', 'Removed', 'Disabled', 'Automated', 'By a reviewer'].map((h) => el('th', { scope: 'col', class: 'num', text: h })))),
        el('tbody', {}, entries.length ? entries.map(([k, v]) => el('tr', {},
          el('th', { scope: 'row', class: 'break', text: k }),
          ...['total', 'removed', 'disabled', 'automated', 'human_reviewed'].map((f) =>
            el('td', { class: 'num', text: fmt(v && v[f]) }))))
          : el('tr', {}, el('td', { colspan: '6', class: 'muted', text: 'None in this period.' }))));
    }

    function kvTable(caption, rows) {
      return el('table', { class: 'data pg-dense' },
        el('caption', { text: caption }),
        el('tbody', {}, rows.map(([k, v]) => el('tr', {},
          el('th', { scope: 'row', text: k }), el('td', { class: 'num', text: v })))));
    }

    function plotBox(id, heading, plot, dataTable) {
      // Not a labelled figure: its heading would make it match the labels
      // "From" and "To" of the period's fields.
      return el('div', { class: 'card rp-plot', id },
        el('h3', { text: heading }),
        plot || el('p', { class: 'muted', text: 'The plot is not available (the HTML report could not be fetched).' }),
        dataTable ? el('details', {}, el('summary', { text: 'The numbers behind the plot' }), dataTable) : null);
    }

    function draw(r, plots, htmlError) {
      const it = r.items_actioned || {};
      const ro = r.removal_orders || {};
      const ttr = ro.time_to_removal || {};
      const cs = ro.clock_stopped || {};
      const no = r.notices || {};
      const co = r.complaints || {};
      const per = r.period || {};
      const days = Array.isArray(r.per_day) ? r.per_day : [];
      const bins = Array.isArray(ttr.histogram) ? ttr.histogram : [];

      const perDayTable = el('table', { class: 'data pg-dense' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Day (UTC)' }),
          el('th', { scope: 'col', class: 'num', text: 'Items removed or disabled' }),
          el('th', { scope: 'col', class: 'num', text: 'Orders executed' }))),
        el('tbody', {}, days.map((d) => el('tr', {}, el('th', { scope: 'row', text: d.date }),
          el('td', { class: 'num', text: fmt(d.items_actioned) }), el('td', { class: 'num', text: fmt(d.orders_executed) })))));
      const binTable = el('table', { class: 'data pg-dense' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Time to removal' }),
          el('th', { scope: 'col', class: 'num', text: 'Orders' }))),
        el('tbody', {}, bins.map((b) => el('tr', {},
          el('th', { scope: 'row', text: b.up_to_seconds === null || b.up_to_seconds === undefined
            ? `over ${Math.round(n(b.above_seconds) / 60)} min`
            : `${Math.round(n(b.above_seconds) / 60)}–${Math.round(b.up_to_seconds / 60)} min` }),
          el('td', { class: 'num', text: fmt(b.count) })))));

      const reasons = Array.isArray(ro.rejected_reasons) ? ro.rejected_reasons : [];
      const states = ro.by_member_state && typeof ro.by_member_state === 'object' ? Object.entries(ro.by_member_state) : [];
      const total = n(it.total);

      out.replaceChildren(...[
        el('p', { class: 'rp-period' }, 'Period: ', el('time', { text: per.from || '' }), ' to ', el('time', { text: per.to || '' }),
          ' (end excluded). ', r.generator ? `Generated by ${r.generator}.` : ''),
        htmlError ? el('p', { class: 'pg-note', text: `The plots are missing: the HTML report failed (${htmlError.message}).` }) : null,
        el('section', { class: 'rp-section', 'aria-labelledby': 'rp-sum-h' },
          el('h2', { id: 'rp-sum-h', text: 'Summary' }),
          el('dl', { class: 'rp-tiles' },
            tile('Items removed or disabled', fmt(total), `${fmt(it.removed)} removed, ${fmt(it.disabled)} disabled`),
            tile('Decided automatically', fmt(it.automated), total ? `${share(it.automated, total)} of them; ${fmt(it.human_reviewed)} by a reviewer` : 'none to decide'),
            tile('Removal orders received', fmt(ro.received), `${fmt(ro.executed)} executed, ${fmt(ro.pending)} pending`),
            tile('Executed within one hour', fmt(ro.executed_within_one_hour), `${fmt(ro.executed_late)} late, ${fmt(ro.rejected)} rejected`),
            tile('Median time to removal', fmtDuration(ttr.median_seconds), `p90 ${fmtDuration(ttr.p90_seconds)}, max ${fmtDuration(ttr.max_seconds)}`),
            tile('Notices received', fmt(no.received), `${fmt(no.from_trusted_flaggers)} from trusted flaggers, ${fmt(no.pending)} pending`),
            tile('Complaints received', fmt(co.received), `${fmt(co.upheld)} upheld, ${fmt(co.rejected)} rejected, ${fmt(co.open)} open`),
            tile('Items reinstated', fmt(r.reinstatements)))),
        el('section', { class: 'rp-section', 'aria-labelledby': 'rp-items-h' },
          el('h2', { id: 'rp-items-h', text: 'Items removed or disabled' }),
          plotBox('rp-plot-days', 'Per day: items removed or disabled, and removal orders executed', plots['removals-per-day'], perDayTable),
          el('div', { class: 'rp-two' },
            groupTable('By signal type', 'Signal type', it.by_signal_type),
            groupTable('By bank', 'Bank', it.by_bank))),
        el('section', { class: 'rp-section', 'aria-labelledby': 'rp-orders-h' },
          el('h2', { id: 'rp-orders-h', text: 'Removal orders (TCO Art 3)' }),
          plotBox('rp-plot-ttr', 'Time to removal, in the running hour', plots['time-to-removal'], binTable),
          el('div', { class: 'rp-two' },
            kvTable('Orders', [
              ['Received', fmt(ro.received)], ['Executed', fmt(ro.executed)],
              ['Executed within one hour', fmt(ro.executed_within_one_hour)], ['Executed late', fmt(ro.executed_late)],
              ['Rejected', fmt(ro.rejected)], ['Pending', fmt(ro.pending)],
              ['Locators removed or disabled', fmt(ro.locators_removed)]]),
            kvTable('Time and clock stops', [
              ['Median, from the running hour', fmtDuration(ttr.median_seconds)],
              ['90th percentile', fmtDuration(ttr.p90_seconds)],
              ['Median, from receipt', fmtDuration(ttr.median_seconds_since_receipt)],
              ['90th percentile, from receipt', fmtDuration(ttr.p90_seconds_since_receipt)],
              ['Orders whose clock stopped', fmt(cs.orders)],
              ['Clarifications requested (Art 3(8))', fmt(cs.clarifications)],
              ['Force majeure (Art 3(7))', fmt(cs.force_majeure)],
              ['Time stopped', fmtDuration(cs.total_seconds)]])),
          el('div', { class: 'rp-two' },
            el('table', { class: 'data pg-dense' },
              el('caption', { text: 'By Member State of the issuing authority' }),
              el('tbody', {}, states.length ? states.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: k }), el('td', { class: 'num', text: fmt(v) })))
                : el('tr', {}, el('td', { class: 'muted', text: 'None in this period.' })))),
            el('table', { class: 'data pg-dense' },
              el('caption', { text: 'Reasons for not executing' }),
              el('tbody', {}, reasons.length ? reasons.map((x) => el('tr', {}, el('th', { scope: 'row', class: 'break', text: String(x.reason ?? '') }),
                el('td', { class: 'num', text: fmt(x.count) })))
                : el('tr', {}, el('td', { class: 'muted', text: 'None in this period.' })))))),
        el('section', { class: 'rp-section', 'aria-labelledby': 'rp-nc-h' },
          el('h2', { id: 'rp-nc-h', text: 'Notices and complaints' }),
          el('div', { class: 'rp-two' },
            kvTable('Notices (DSA Art 16)', [
              ['Received', fmt(no.received)], ['From trusted flaggers', fmt(no.from_trusted_flaggers)],
              ['From others', fmt(no.from_others)], ['Decided', fmt(no.decided)],
              ['Removed or disabled', fmt(no.actioned)], ['Kept', fmt(no.kept)], ['Pending', fmt(no.pending)]]),
            kvTable('Complaints (TCO Art 10, DSA Art 20)', [
              ['Received', fmt(co.received)], ['Against decisions', fmt(co.against_decisions)],
              ['Against orders', fmt(co.against_orders)], ['Upheld (content reinstated)', fmt(co.upheld)],
              ['Rejected', fmt(co.rejected)], ['Open', fmt(co.open)],
              ['Answered within 14 days', fmt(co.answered_within_14_days)], ['Answered late', fmt(co.answered_late)]]))),
      ].filter(Boolean));
    }

    await load();
  },
};
