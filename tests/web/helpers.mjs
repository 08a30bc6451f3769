// What the specs share: assertions, waiting for a condition, and the
// accessibility check run on every page.
import assert from 'node:assert/strict';

export { assert };

export class Skip extends Error {}
export function skip(reason) { throw new Skip(reason); }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls FN (sync or async) until it returns a truthy value, and returns
// it; fails with WHAT (and the last error) after TIMEOUT ms.
export async function until(what, fn, timeout = 10000) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v)
                return v;
            last = v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}` +
                            (last instanceof Error ? ` (${last.message.split('\n')[0]})` : ''));
        await sleep(100);
    }
}

// The visible text of the page's main element (or the whole body).
export async function mainText(page) {
    return page.evaluate(() => (document.getElementById('main') || document.body).innerText);
}

// The accessibility basics of the page as it is now: every visible
// input, select, textarea and button has an accessible name (a label, an
// aria-label or aria-labelledby, or for a button its text or title), and
// there is exactly one visible h1, images have alt text, and text has
// enough contrast. Returns a list of problems.
export async function a11yProblems(page) {
    return page.evaluate(() => {
        const problems = [];
        const visible = (e) => {
            const s = getComputedStyle(e);
            return s.display !== 'none' && s.visibility !== 'hidden' && e.getClientRects().length > 0;
        };
        const describe = (e) => {
            let d = e.tagName.toLowerCase();
            if (e.id) d += `#${e.id}`;
            if (e.getAttribute('type')) d += `[type=${e.getAttribute('type')}]`;
            if (e.getAttribute('name')) d += `[name=${e.getAttribute('name')}]`;
            return d;
        };
        const nameOf = (e) => {
            const al = e.getAttribute('aria-label');
            if (al && al.trim()) return al.trim();
            const lb = e.getAttribute('aria-labelledby');
            if (lb) {
                const t = lb.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
                if (t) return t;
            }
            if (e.labels) {
                const t = [...e.labels].map((l) => l.textContent).join(' ').trim();
                if (t) return t;
            }
            const tag = e.tagName.toLowerCase(), type = (e.getAttribute('type') || '').toLowerCase();
            if (tag === 'button') {
                const t = e.textContent.trim() ||
                          [...e.querySelectorAll('img[alt]')].map((i) => i.alt).join(' ').trim();
                if (t) return t;
            }
            if (tag === 'input' && ['submit', 'button', 'reset'].includes(type) && e.value.trim())
                return e.value.trim();
            if (e.title && e.title.trim()) return e.title.trim();
            return '';
        };
        for (const e of document.querySelectorAll('input, select, textarea, button')) {
            if ((e.getAttribute('type') || '').toLowerCase() === 'hidden' || !visible(e))
                continue;
            if (!nameOf(e))
                problems.push(`${describe(e)} has no accessible name`);
        }
        const h1 = [...document.querySelectorAll('h1')].filter(visible);
        if (h1.length !== 1)
            problems.push(`${h1.length} visible h1 elements (${h1.map((h) => JSON.stringify(h.textContent.trim())).join(', ')}), not one`);
        for (const img of document.querySelectorAll('img'))
            if (visible(img) && !img.hasAttribute('alt'))
                problems.push(`img ${img.getAttribute('src') || ''} has no alt`);

        // Text contrast (WCAG 2 AA): 4.5:1, or 3:1 for large text (24 px,
        // or 18.66 px bold), against the first opaque background behind it.
        // Text over an image or a gradient is not judged.
        const rgba = (c) => {
            const m = /rgba?\(([^)]+)\)/.exec(c);
            if (!m) return null;
            const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
            return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 };
        };
        const lum = ({ r, g, b }) => {
            const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const over = (top, bottom) => ({
            r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
            b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
        });
        const background = (e) => {
            const layers = [];
            for (let n = e; n; n = n.parentElement) {
                const s = getComputedStyle(n);
                if (s.backgroundImage && s.backgroundImage !== 'none') return null;
                const c = rgba(s.backgroundColor);
                if (c && c.a > 0) {
                    layers.push(c);
                    if (c.a >= 1) break;
                }
            }
            let bg = { r: 255, g: 255, b: 255, a: 1 };
            for (const l of layers.reverse()) bg = over(l, bg);
            return bg;
        };
        const seen = new Set();
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const e = t.parentElement;
            if (!t.textContent.trim() || !e || seen.has(e) || !visible(e)) continue;
            seen.add(e);
            if (e.closest('[aria-hidden="true"], svg, option, select')) continue;
            const s = getComputedStyle(e);
            const fg = rgba(s.color), bg = background(e);
            if (!fg || !bg) continue;
            const l1 = lum(over(fg, bg)), l2 = lum(bg);
            const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
            const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
            const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
            if (ratio < need - 0.005)
                problems.push(`contrast ${ratio.toFixed(2)}:1 (needs ${need}) for ${JSON.stringify(t.textContent.trim().slice(0, 30))}` +
                              ` (${s.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
        }
        return problems;
    });
}

export async function checkA11y(page, where) {
    const p = await a11yProblems(page);
    assert.deepEqual(p, [], `accessibility problems on ${where}: ${p.join('; ')}`);
}
