// The transparency report: its numbers, as the server counts them, and
// both plots, for a chosen period.
import { assert, until } from './helpers.mjs';

// The value of the summary tile whose label starts with LABEL.
function tile(page, label) {
    return page.locator('#main dt').filter({ hasText: label }).first()
        .evaluate((dt) => dt.nextElementSibling?.textContent.trim() ?? '');
}

async function plotsShown(page) {
    for (const id of ['removals-per-day', 'time-to-removal']) {
        const svg = page.locator(`svg#${id}`);
        await svg.waitFor();
        const box = await svg.boundingBox();
        assert.ok(box && box.width > 100 && box.height > 50, `plot ${id} is not drawn at a readable size: ${JSON.stringify(box)}`);
        const marks = await svg.locator('rect, path, line, polyline').count();
        assert.ok(marks > 3, `plot ${id} has ${marks} marks`);
    }
}

const day = (s) => Date.parse(`${s}T00:00:00Z`) / 1000;

export const tests = [
    {
        name: 'report-plots-and-period',
        role: 'reviewer',
        start: 'report',
        async fn({ page, server, shot, a11y }) {
            await page.getByRole('heading', { level: 1, name: 'Transparency report' }).waitFor();
            await plotsShown(page);
            // The numbers are the server's for the period in the fields.
            const from = await page.getByLabel('From', { exact: true }).inputValue();
            const to = await page.getByLabel('To', { exact: true }).inputValue();
            const r = await server.api('reviewer', 'GET', `/a/report?from=${day(from)}&to=${day(to) + 86400}`);
            assert.ok(r.items_actioned.total >= 1, 'the seeded automated removal is not in the report');
            assert.equal(await tile(page, 'Items removed or disabled'), r.items_actioned.total.toLocaleString('en'));
            assert.equal(await tile(page, 'Removal orders received'), r.removal_orders.received.toLocaleString('en'));
            await a11y('the report page');
            await shot('report');

            // Another period: nothing happened in January 2020.
            await page.getByLabel('From', { exact: true }).fill('2020-01-01');
            await page.getByLabel('To', { exact: true }).fill('2020-01-31');
            await page.getByRole('button', { name: 'Show report' }).click();
            await until('the report for January 2020', async () =>
                (await tile(page, 'Items removed or disabled')) === '0' && (await tile(page, 'Removal orders received')) === '0');
            assert.match(page.url(), /from=2020-01-01&to=2020-01-31/, 'the period is not in the URL');
            await plotsShown(page);
            await shot('report-empty-period');
        },
    },
];
