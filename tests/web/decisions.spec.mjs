// The matches and decisions log: every decision, filterable, each
// explained.
import { assert, until } from './helpers.mjs';

// The data rows of the log (those with a decision id in their first cell).
async function rows(page) {
    return page.locator('#main table tbody tr').evaluateAll((trs) => trs
        .filter((tr) => /^\d+$/.test((tr.cells[0]?.textContent || '').trim()))
        .map((tr) => tr.innerText));
}

export const tests = [
    {
        name: 'decisions-log-filter-and-explain',
        role: 'reviewer',
        start: 'decisions',
        async fn({ page, server, data, shot, a11y }) {
            await page.getByRole('heading', { level: 1, name: 'Matches and decisions log' }).waitFor();
            const all = (await server.api('reviewer', 'GET', '/a/decisions')).decisions;
            await until('every decision to be listed', async () => (await rows(page)).length === all.length);
            const text = (await rows(page)).join('\n');
            for (const q of data.queued)
                assert.ok(text.includes(q.puid), `${q.puid} is not in the log`);
            assert.ok(text.includes('upload-3001'), 'the automated removal is not in the log');
            await a11y('the decisions page');
            await shot('decisions');

            // Filtered by action: only removals, the automated one among them.
            await page.getByLabel('Action', { exact: true }).selectOption('remove');
            const removals = all.filter((d) => d.action === 'remove');
            await until('only the removals to be listed', async () => (await rows(page)).length === removals.length);
            for (const r of await rows(page))
                assert.match(r, /remove/i, `a row in the removals: ${r}`);
            assert.ok((await rows(page)).some((r) => r.includes('upload-3001')));
            assert.match(page.url(), /action=remove/, 'the filter is not in the URL');

            // Filtered by state: pending ones are those still in the queue.
            await page.getByLabel('Action', { exact: true }).selectOption('');
            await page.getByLabel('State', { exact: true }).selectOption('pending');
            const pending = (await server.api('reviewer', 'GET', '/a/review')).pending;
            await until('only the pending decisions to be listed', async () => (await rows(page)).length === pending.length);

            // An automated removal explained, with its statement of reasons.
            await page.getByLabel('State', { exact: true }).selectOption('');
            const auto = all.find((d) => d.puid === 'upload-3001' && d.action === 'remove');
            const details = page.getByRole('button', { name: `Details of decision ${auto.id}` });
            await details.click();
            assert.equal(await details.getAttribute('aria-expanded'), 'true');
            const why = page.locator(`[id="${await details.getAttribute('aria-controls')}"]`);
            await why.waitFor();
            await until('the explanation and its statement of reasons', async () => {
                const w = await why.innerText();
                return ['TCAP_B', 'upload-3001', 'pdq', 'Statement of reasons', 'DECISION_GROUND_ILLEGAL_CONTENT']
                    .every((want) => w.includes(want));
            });
            await shot('decisions-explained');
        },
    },
];
