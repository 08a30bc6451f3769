// Banks: a curator disables a bank and an item, and the API agrees.
import { assert, until } from './helpers.mjs';

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
];
