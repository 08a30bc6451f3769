// Banks: a curator disables a bank and an item, and the API agrees.
import crypto from 'node:crypto';

import { assert, until } from './helpers.mjs';

// All the items of BANK, through the API's pages.
async function allItems(server, bank) {
    const out = [];
    for (let after = 0; ;) {
        const r = await server.api('matcher', 'GET', `/c/bank/${bank}/content?after=${after}&limit=500`);
        out.push(...r.items);
        if (r.next === null || r.next === undefined || !r.items.length)
            return out;
        after = r.next;
    }
}

export const tests = [
    {
        name: 'banks-curator-disables-bank-and-item',
        async fn({ page, server, data, login, nav, shot, a11y }) {
            await server.api('curator', 'POST', '/c/banks', {
                name: 'OLD_LIST', description: 'Superseded list, to be turned off', labels: ['legacy'],
            });
            await login('curator', 'banks');
            await nav('Banks');
            const table = page.getByRole('table', { name: 'Banks' });
            await table.getByRole('row').filter({ hasText: 'OLD_LIST' }).waitFor();
            for (const b of ['TERROR_A', 'TCAP_B', 'OLD_LIST'])
                assert.equal(await table.getByRole('row').filter({ hasText: b }).count(), 1, `bank ${b} is not listed once`);
            await a11y('the banks page');
            await shot('banks');

            // Disable the bank: the button turns into Enable, the status says
            // so, and the server has it at ratio 0.
            await page.getByRole('button', { name: 'Disable bank OLD_LIST' }).click();
            await page.getByRole('button', { name: 'Enable bank OLD_LIST' }).waitFor();
            const row = table.getByRole('row').filter({ hasText: 'OLD_LIST' });
            assert.match(await row.innerText(), /Disabled/, 'the row of the disabled bank does not say Disabled');
            const b = await server.api('matcher', 'GET', '/c/bank/OLD_LIST');
            assert.equal(b.matching_enabled_ratio, 0, `OLD_LIST is still enabled: ${JSON.stringify(b)}`);
            const other = await server.api('matcher', 'GET', '/c/bank/TERROR_A');
            assert.equal(other.matching_enabled_ratio, 1, 'another bank changed too');

            // Browse TERROR_A's items and disable one.
            await page.getByRole('button', { name: 'Open bank TERROR_A' }).click();
            await page.getByRole('button', { name: 'Browse items of bank TERROR_A' }).click();
            const id = data.items[data.samples[data.samples.length - 1]];
            const disable = page.getByRole('button', { name: `Disable item ${id}`, exact: true });
            await disable.waitFor();
            await a11y('the bank detail');
            await shot('banks-items');
            await disable.click();
            await page.getByRole('button', { name: `Enable item ${id}`, exact: true }).waitFor();
            await until(`item ${id} to be disabled on the server`, async () =>
                (await server.api('matcher', 'GET', `/c/bank/TERROR_A/content/${id}`)).disable_until_ts === 0);
        },
    },
    {
        // A ThreatExchange CSV of 3000 PDQ hashes and one bad row, imported
        // into a bank through the form: the upload's progress, the report
        // (added, skipped, the bad row), and the items the server now has.
        name: 'banks-import-file-with-progress',
        async fn({ page, server, login, nav, shot }) {
            await server.api('curator', 'POST', '/c/banks', { name: 'IMPORTED_TE', labels: ['te'] });
            const n = 3000;
            const rows = ['indicator,indicator_id,first_descriptor_id,added_on,labels'];
            for (let i = 0; i < n; i++) {
                const h = crypto.createHash('sha256').update(`web test hash ${i}`).digest('hex');
                rows.push(`${h},${100000 + i},${200000 + i},2024-06-01T10:00:00+0000,terrorism`);
            }
            rows.splice(1234, 0, 'not-a-hash,99,99,2024-06-01T10:00:00+0000,terrorism');
            await login('curator', 'banks');
            await nav('Banks');
            await page.getByRole('button', { name: 'Open bank IMPORTED_TE' }).click();
            await page.getByLabel('File to import').setInputFiles({
                name: 'gifct-2024-06.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n'),
            });
            await page.getByLabel('Format').selectOption('pytx-csv');
            await page.getByLabel('Source (optional)').fill('gifct-2024-06');
            await page.getByRole('button', { name: 'Import', exact: true }).click();
            const progress = page.getByRole('progressbar', { name: 'Upload progress' });
            await progress.waitFor();
            const report = page.getByRole('heading', { name: /Import report/ });
            await report.waitFor({ timeout: 30000 });
            const text = await page.locator('.bk-report').innerText();
            assert.match(text, new RegExp(`Added\\s*${n.toLocaleString('en')}`), `the import report: ${text}`);
            assert.match(text, /Skipped\s*1\b/, `the import report: ${text}`);
            assert.match(text, /1235/, `the bad row's line number is not shown: ${text}`);
            assert.equal(await progress.evaluate((e) => e.position === -1 ? 'indeterminate' : e.value), 1,
                         'the progress bar does not show the upload done');
            await shot('banks-import');
            const items = await allItems(server, 'IMPORTED_TE');
            assert.equal(items.length, n, 'the items in the bank after the import');
            assert.equal(items[0].source, 'gifct-2024-06');
        },
    },
];
