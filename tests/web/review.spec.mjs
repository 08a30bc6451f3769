// The review queue: the oldest pending decision is shown blurred and in
// grayscale, revealed on request, decided with a reason and a shortcut,
// and then leaves the queue for the decisions log.
import { assert, until } from './helpers.mjs';

// The CSS filters on the media element and every ancestor up to <main>,
// joined: blur and grayscale may sit on a wrapper.
export async function mediaFilters(locator) {
    return locator.evaluate((e) => {
        const out = [];
        for (let n = e; n && n.tagName !== 'MAIN'; n = n.parentElement) {
            const f = getComputedStyle(n).filter;
            if (f && f !== 'none')
                out.push(f);
        }
        return out.join(' ');
    });
}

// The media of the item on screen, once loaded from the platform's URL.
export async function loadedMedia(page) {
    const img = page.getByRole('img', { name: 'The content under review' });
    await img.waitFor();
    await until('the media to load from its media_url', () =>
        img.evaluate((e) => e.complete && e.naturalWidth > 0));
    return img;
}

// The item the review page will show ROLE: the oldest pending decision
// that no one else holds a claim on (a page that shows an item claims it:
// other tests' sessions may hold some).
export async function oldestPending(server, role = 'reviewer') {
    const { who } = await server.api(role, 'GET', '/a/me');
    const q = await server.api(role, 'GET', '/a/review');
    const p = q.pending.filter((d) => d.state === 'pending' && (!d.claimed_by || d.claimed_by === who))
        .sort((a, b) => a.created_at - b.created_at || a.id - b.id);
    assert.ok(p.length > 0, 'the review queue is empty: nothing to decide');
    return p[0];
}

export async function stillPending(server, id) {
    const q = await server.api('reviewer', 'GET', '/a/review');
    return q.pending.some((d) => d.id === id);
}

export const tests = [
    {
        name: 'review-decide-queued-item',
        role: 'reviewer',
        async fn({ page, server, nav, shot, a11y }) {
            const d = await oldestPending(server);
            await nav('Review');
            const item = page.getByRole('region', { name: `Item #${d.id}` });
            await item.waitFor();
            const text = await item.innerText();
            for (const want of [d.puid, d.bank, d.signal_type, d.variant, String(d.distance)])
                assert.ok(text.includes(want), `the item on screen does not show ${JSON.stringify(want)}`);
            assert.ok(text.includes('gifct') && text.includes('terrorism'), "the bank's labels are not shown");

            // Blurred and grayscale by default.
            const img = await loadedMedia(page);
            const before = await mediaFilters(img);
            assert.match(before, /blur\(/, `the media is not blurred by default (filter: ${before || 'none'})`);
            assert.match(before, /grayscale\(/, `the media is not in grayscale by default (filter: ${before || 'none'})`);
            await a11y('the review page');
            await shot('review-blurred');

            // Revealed on request, for this item.
            await page.getByRole('button', { name: 'Reveal' }).click();
            await until('the media to be shown without blur', async () => !/blur\(/.test(await mediaFilters(img)));
            assert.doesNotMatch(await mediaFilters(img), /grayscale\(/, 'the revealed media is still in grayscale');
            await shot('review-revealed');

            // A reason, then the shortcut r (after Esc leaves the field).
            const reason = `Same recruitment poster as bank item ${d.content_id} (test)`;
            await page.getByLabel('Reason', { exact: true }).fill(reason);
            await page.keyboard.press('Escape');
            await page.keyboard.press('r');
            await item.waitFor({ state: 'detached' });
            assert.equal(await stillPending(server, d.id), false, `decision ${d.id} is still pending`);
            const done = (await server.api('reviewer', 'GET', '/a/decisions?state=decided')).decisions
                .find((x) => x.id === d.id);
            assert.ok(done, `decision ${d.id} is not in /a/decisions?state=decided`);
            assert.equal(done.action, 'remove');
            assert.equal(done.reason, reason);

            // The next item is shown blurred again, not revealed.
            const next = page.getByRole('region', { name: /^Item #\d+$/ });
            await next.or(page.getByText('The review queue is empty.')).waitFor();
            if (await next.count()) {
                const f = await mediaFilters(await loadedMedia(page));
                assert.match(f, /blur\(/, 'the next item is not blurred: the reveal carried over');
            }

            // And it is in the decisions log, with its action and reason.
            await nav('Decisions');
            const row = page.getByRole('row').filter({ hasText: d.puid });
            await row.first().waitFor();
            const rowText = await row.first().innerText();
            assert.match(rowText, /remove/i, `the decisions log's row for ${d.puid} does not say remove: ${rowText}`);
            assert.ok((await page.locator('#main').innerText()).includes(reason),
                      'the decisions log does not show the reason');
        },
    },
    {
        // e escalates: the item goes back to the queue, unclaimed and marked
        // escalated, and this reviewer gets the next one; Keep with "false
        // positive" disables the bank item that matched.
        name: 'review-escalate-and-false-positive',
        role: 'reviewer',
        start: 'review',
        async fn({ page, server }) {
            const d = await oldestPending(server);
            const item = page.getByRole('region', { name: `Item #${d.id}` });
            await item.waitFor();
            await page.getByLabel('Reason', { exact: true }).fill('Needs a second opinion: satire? (test)');
            await page.keyboard.press('Escape');
            await page.keyboard.press('e');
            await item.waitFor({ state: 'detached' });
            const back = (await server.api('reviewer', 'GET', '/a/review')).pending.find((x) => x.id === d.id);
            assert.ok(back, `escalated decision ${d.id} left the queue`);
            assert.equal(back.escalated, true, `decision ${d.id} is not marked escalated`);
            assert.equal(back.claimed_by, null, `escalated decision ${d.id} is still claimed`);

            const next = page.getByRole('region', { name: /^Item #\d+$/ });
            await next.waitFor();
            const id = Number((await next.getAttribute('aria-label')).replace(/\D/g, ''));
            assert.notEqual(id, d.id, 'the escalated item is shown again to the reviewer who escalated it');
            const n = (await server.api('reviewer', 'GET', '/a/review')).pending.find((x) => x.id === id);
            const before = await server.api('matcher', 'GET', `/c/bank/${n.bank}/content/${n.content_id}`);
            assert.equal(before.disable_until_ts, 1, `bank item ${n.content_id} is already disabled`);
            await page.getByLabel('Reason', { exact: true }).fill('A false positive: a stock photo (test)');
            await page.getByLabel(/False positive/).check();
            await page.getByRole('button', { name: 'Keep' }).click();
            await until(`decision ${id} to be decided`, async () => !(await stillPending(server, id)));
            const after = await server.api('matcher', 'GET', `/c/bank/${n.bank}/content/${n.content_id}`);
            // Disabled: 0 (until set again) or a time still to come.
            const ts = after.disable_until_ts;
            assert.ok(ts === 0 || ts > Date.now() / 1000 + 86400,
                      `bank item ${n.content_id} was not disabled as a false positive (disable_until_ts ${ts})`);
        },
    },
];
