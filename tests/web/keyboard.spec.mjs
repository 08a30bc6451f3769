// Keyboard only: signing in and deciding a review item with Tab, Enter
// and the shortcuts, no mouse; every control reached shows its focus.
import { assert, until } from './helpers.mjs';
import { loadedMedia, mediaFilters, oldestPending, stillPending } from './review.spec.mjs';

// What has focus: its tag, accessible-ish name, and whether the focus is
// visible (an outline or a box-shadow).
async function focused(page) {
    return page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body)
            return { tag: 'body', name: '', visible: false };
        const s = getComputedStyle(e);
        const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        const shadow = s.boxShadow && s.boxShadow !== 'none';
        const name = (e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent) ||
                      e.textContent || '').trim();
        // Elements focused by the page (tabindex=-1, a heading after
        // navigation) need not show it; those reached by Tab must.
        return { tag: e.tagName.toLowerCase(), name, visible: outline || shadow || e.tabIndex < 0 };
    });
}

// Presses Tab until the focused element satisfies MATCH (at most MAX
// presses); checks that every element passed on the way shows its focus.
async function tabTo(page, what, match, max = 40) {
    const seen = [];
    for (let i = 0; i <= max; i++) {
        const f = await focused(page);
        if (f.tag !== 'body') {
            assert.ok(f.visible, `no visible focus on ${f.tag} "${f.name}" (reached by Tab on the way to ${what})`);
            if (match(f))
                return f;
            seen.push(`${f.tag} "${f.name.slice(0, 30)}"`);
        }
        await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${what}; it went through: ${seen.join(', ')}`);
}

export const tests = [
    {
        name: 'keyboard-login-and-decide',
        async fn({ page, server, shot }) {
            await page.goto(server.url);
            await page.getByLabel('API token').waitFor();
            await tabTo(page, 'the API token field', (f) => f.tag === 'input' && /API token/.test(f.name));
            await page.keyboard.type(server.tokens.reviewer);
            await page.keyboard.press('Enter');
            await page.getByText('Signed in as reviewer').waitFor();

            const d = await oldestPending(server);
            // A reviewer starts on the review page; else the link.
            if (!(await page.getByRole('heading', { level: 1, name: 'Review' }).isVisible())) {
                await tabTo(page, 'the Review link', (f) => f.tag === 'a' && f.name === 'Review');
                await page.keyboard.press('Enter');
            }
            const item = page.getByRole('region', { name: `Item #${d.id}` });
            await item.waitFor();
            const img = await loadedMedia(page);
            assert.match(await mediaFilters(img), /blur\(/, 'the media is not blurred');

            await tabTo(page, 'the Reveal button', (f) => f.tag === 'button' && f.name === 'Reveal');
            await page.keyboard.press('Enter');
            await until('the media to be revealed', async () => !/blur\(/.test(await mediaFilters(img)));
            // v blurs it again and reveals it, from anywhere but a text field.
            await page.keyboard.press('v');
            await until('v to blur the media again', async () => /blur\(/.test(await mediaFilters(img)));

            await tabTo(page, 'the Reason field', (f) => f.tag === 'input' && f.name === 'Reason');
            const reason = 'Not terrorist content: a news report (keyboard test)';
            await page.keyboard.type(reason);
            await page.keyboard.press('Escape');
            await page.keyboard.press('k');
            await item.waitFor({ state: 'detached' });
            assert.equal(await stillPending(server, d.id), false, `decision ${d.id} is still pending`);
            const done = (await server.api('reviewer', 'GET', '/a/decisions?state=decided')).decisions
                .find((x) => x.id === d.id);
            assert.ok(done, `decision ${d.id} was not decided`);
            assert.equal(done.action, 'keep');
            assert.equal(done.reason, reason);
            await shot('review-after-keyboard-decision');
        },
    },
];
