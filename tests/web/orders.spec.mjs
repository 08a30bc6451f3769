// Removal orders: a live countdown to the one-hour deadline, its colour
// as the deadline nears, the order's Annex I fields, and a step.
import { assert, until } from './helpers.mjs';

// "59:12 left" -> 3552 seconds; null when the text is no countdown.
function secondsLeft(text) {
    const m = /(?:(\d+):)?(\d{1,2}):(\d\d) left/.exec(text);
    return m ? (Number(m[1] || 0) * 3600 + Number(m[2]) * 60 + Number(m[3])) : null;
}

// Fails unless LOCATOR's element is wholly on screen: within the window
// and not clipped by a scrolling container (its right edge is hit-tested).
async function assertOnScreen(locator, what) {
    const seen = await locator.evaluate((e) => {
        const r = e.getBoundingClientRect();
        const hit = (x) => { const h = document.elementFromPoint(x, r.top + r.height / 2); return !!h && e.contains(h); };
        return { right: Math.round(r.right), width: innerWidth, left: hit(r.left + 2), rightHit: hit(r.right - 2) };
    });
    assert.ok(seen.left && seen.rightHit && seen.right <= seen.width,
              `${what} is not wholly visible at ${seen.width} px wide (its right edge is at ${seen.right} px` +
              `${seen.rightHit ? '' : ', clipped'})`);
}

async function newOrder(server, reference) {
    return server.api('reviewer', 'POST', '/a/orders', {
        authority: 'Office central de lutte contre la criminalité', member_state: 'FR', reference,
        issued_at: Math.floor(Date.now() / 1000) - 300, locators: [`https://platform.example/v/${reference}`],
        reasons: 'Terrorist content: a call to commit an attack (Art 2(7)(b))',
        redress: 'Tribunal administratif de Paris, within two months', withhold_information: false,
    });
}

export const tests = [
    {
        name: 'orders-countdown-fields-and-execute',
        async fn({ page, server, login, nav, shot, a11y }) {
            const ref = `FR-2026-${Date.now() % 100000}`;
            const o = await newOrder(server, ref);
            await login('reviewer', 'banks');
            await nav('Orders', 'Removal orders');
            const row = page.getByRole('row').filter({ hasText: ref });
            const timer = row.getByRole('timer');
            await timer.waitFor();
            const t1 = await timer.innerText();
            const s1 = secondsLeft(t1);
            assert.ok(s1 !== null && s1 > 50 * 60 && s1 <= 3600,
                      `a new order's countdown does not read about an hour left: ${JSON.stringify(t1)}`);
            assert.match(t1, /\b59:\d\d left/, `a new order's countdown: ${JSON.stringify(t1)}`);
            // The countdown is what an operator looks for: it is on screen
            // at 1280 px, not clipped or scrolled off to the side.
            await assertOnScreen(timer, 'the countdown');
            // It runs: a later read shows less time left.
            await page.waitForTimeout(1500);
            const t2 = await until('the countdown to change', async () => {
                const t = await timer.innerText();
                return t !== t1 && t;
            }, 5000);
            const s2 = secondsLeft(t2);
            assert.ok(s2 !== null && s2 < s1, `the countdown did not go down: ${t1} then ${t2}`);
            // The order whose clock was stopped says so, with no countdown.
            const paused = page.getByRole('row').filter({ hasText: 'DE-2026-0042' });
            assert.match(await paused.innerText(), /clock stopped/i, 'a stopped clock is not shown as stopped');
            assert.match(await paused.innerText(), /Clarification requested/);

            // Annex I fields.
            await row.getByRole('button', { name: ref }).click();
            const annex = page.getByRole('region', { name: `Order ${ref}: Annex I` });
            await annex.waitFor();
            const text = await annex.innerText();
            for (const want of [o.authority, 'FR', o.reasons, o.redress, o.locators[0], o.receipt])
                assert.ok(text.includes(want), `the order's fields lack ${JSON.stringify(want)}`);
            await a11y('the orders page');
            await shot('orders');

            // Executed within the hour.
            await page.getByLabel('Note', { exact: true }).fill('Removed the video at 1 locator (test)');
            await page.getByRole('button', { name: 'Executed', exact: true }).click();
            await until('the order to show as executed', async () => /Executed/.test(await page.getByRole('row').filter({ hasText: ref }).first().innerText()));
            const after = await server.api('reviewer', 'GET', `/a/orders/${o.id}`);
            assert.equal(after.state, 'executed');
            assert.equal(after.on_time, true);
            assert.equal(after.note, 'Removed the video at 1 locator (test)');
        },
    },
    {
        // The server's clock, as /a/orders reports it, moved on 55 minutes
        // in the browser: the countdown shows under 5 minutes, in another
        // colour than an order with most of its hour left.
        name: 'orders-countdown-colour-near-deadline',
        async fn({ page, server, login, shot }) {
            const ref = `FR-2026-NEAR-${Date.now() % 100000}`;
            await newOrder(server, ref);
            await login('reviewer', 'banks');
            const timer = () => page.getByRole('row').filter({ hasText: ref }).getByRole('timer');
            await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders', exact: true }).click();
            await timer().waitFor();
            const style = (l) => l.evaluate((e) => {
                const s = getComputedStyle(e);
                return `${s.color} ${s.backgroundColor}`;
            });
            const calm = await style(timer());
            await page.route((url) => url.pathname === '/a/orders', async (route) => {
                const r = await route.fetch();
                const body = await r.json();
                body.now += 55 * 60;
                await route.fulfill({ response: r, body: JSON.stringify(body) });
            });
            await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Banks', exact: true }).click();
            await page.getByRole('heading', { level: 1, name: 'Banks' }).waitFor();
            await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders', exact: true }).click();
            const near = await until('the countdown to show under 5 minutes left', async () => {
                const t = await timer().innerText();
                const s = secondsLeft(t);
                return s !== null && s < 5 * 60 && t;
            });
            assert.match(near, /^(?!.*\b59:).*\b[0-4]:\d\d left/s, `countdown near the deadline: ${near}`);
            await assertOnScreen(timer(), 'the countdown near its deadline');
            const urgent = await style(timer());
            assert.notEqual(urgent, calm, `the countdown's colour did not change near the deadline (${calm})`);
            await shot('orders-near-deadline');
        },
    },
];
