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
// there is exactly one visible h1. Returns a list of problems.
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
        return problems;
    });
}

export async function checkA11y(page, where) {
    const p = await a11yProblems(page);
    assert.deepEqual(p, [], `accessibility problems on ${where}: ${p.join('; ')}`);
}
