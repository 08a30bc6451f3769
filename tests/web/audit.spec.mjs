// The audit log: its entries and the chain's verification status.
import { assert, until } from './helpers.mjs';

export const tests = [
    {
        name: 'audit-chain-intact',
        role: 'admin',
        start: 'audit',
        async fn({ page, server, shot, a11y }) {
            await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
            const banner = page.getByText(/Chain intact: [\d,]+ entr/);
            await banner.waitFor();
            const v = await server.api('admin', 'GET', '/a/audit/verify');
            assert.equal(v.intact, true);
            const n = Number((/Chain intact: ([\d,]+)/.exec(await banner.innerText()))[1].replace(/,/g, ''));
            assert.ok(n > 0 && n <= v.entries, `the banner counts ${n} entries, the server ${v.entries}`);
            assert.ok((await page.locator('#main').innerText()).includes(v.head.slice(0, 12)),
                      "the chain's head is not shown");
            // The entries, oldest first: the orders seeded are there.
            const entries = (await server.api('admin', 'GET', '/a/audit?limit=500')).entries;
            const table = page.getByRole('table');
            await until('the entries to be listed', async () =>
                (await table.getByRole('row').count()) > Math.min(entries.length, 50));
            const text = await table.innerText();
            assert.ok(text.includes(entries[0].action), `the first entry's action ${entries[0].action} is not shown`);
            await a11y('the audit page');
            await shot('audit');

            // The filter narrows the rows to those of one actor.
            const actor = entries.find((e) => /^reviewer#/.test(e.actor)).actor;
            await page.getByLabel('Filter').fill(actor);
            await until('the filter to apply', async () => {
                const rs = await table.locator('tbody tr').filter({ visible: true }).allInnerTexts();
                return rs.length > 0 && rs.every((r) => r.includes(actor));
            });
        },
    },
    {
        // What the page says when the server finds the chain broken (the
        // answer of /a/audit/verify replaced in the browser).
        name: 'audit-chain-broken-shown',
        role: 'admin',
        start: 'banks',
        async fn({ page, shot }) {
            await page.route('**/a/audit/verify', (route) => route.fulfill({
                status: 200, contentType: 'application/json',
                body: JSON.stringify({ intact: false, entries: 12, head: 'ab'.repeat(32), first_bad: 7,
                                       problem: 'entry 7: hash does not match its content' }),
            }));
            await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
            await page.getByText(/Chain BROKEN at entry 7/).waitFor();
            assert.equal(await page.getByText(/Chain intact/).count(), 0, 'a broken chain is called intact');
            await shot('audit-broken');
        },
    },
];
