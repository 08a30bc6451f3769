// What a role may not do: pages above it are not offered and not shown,
// and when the UI is led to offer an action anyway, the server's 403 is
// shown to the user, who stays signed in.
import { assert } from './helpers.mjs';
import { NAV, navLinks } from './login.spec.mjs';

export const tests = [
    {
        name: 'roles-matcher-cannot-see-review',
        role: 'matcher',
        async fn({ page, server, shot, a11y }) {
            assert.deepEqual(await navLinks(page), NAV.matcher, "the matcher's navigation");
            await page.goto(`${server.url}#/review`);
            await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
            await page.getByText('Your role (matcher) may not see this page.').waitFor();
            await a11y('the Not allowed page');
            await shot('not-allowed');
            // Nothing of the queue was asked for or shown.
            assert.equal(await page.getByRole('button', { name: 'Reveal' }).count(), 0);
            assert.equal(await page.getByLabel('Reason', { exact: true }).count(), 0);
        },
    },
    {
        name: 'roles-reviewer-cannot-see-audit',
        role: 'reviewer',
        start: 'banks',
        async fn({ page, server }) {
            assert.ok(!(await navLinks(page)).includes('Audit log'), 'a reviewer is offered the audit log');
            await page.goto(`${server.url}#/audit`);
            await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
            await page.getByText('Your role (reviewer) may not see this page.').waitFor();
        },
    },
    {
        // The UI offers curator actions to a curator; here a reviewer's
        // token is made to look like a curator's to the UI (its /a/me is
        // answered in the browser), so the server is the one that refuses.
        name: 'roles-reviewer-gets-403-for-curator-action',
        async fn({ page, server, shot }) {
            await page.route('**/a/me', (route) => route.fulfill({
                status: 200, contentType: 'application/json',
                body: JSON.stringify({ role: 'curator', who: 'reviewer#pretending' }),
            }));
            await page.goto(`${server.url}#/banks`);
            await page.getByLabel('API token').fill(server.tokens.reviewer);
            await page.getByRole('button', { name: 'Sign in' }).click();
            await page.getByText('Signed in as curator').waitFor();
            await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Banks', exact: true }).click();
            await page.getByRole('button', { name: 'Disable bank TERROR_A' }).click();
            const alert = page.getByRole('alert').filter({ hasText: /Not allowed: .*may not PUT \/c\/bank/ });
            await alert.waitFor();
            await shot('forbidden-403');
            // Still signed in, and the bank is untouched.
            await page.getByRole('button', { name: 'Sign out' }).waitFor();
            const b = await server.api('matcher', 'GET', '/c/bank/TERROR_A');
            assert.equal(b.matching_enabled_ratio, 1, 'the bank was changed by a reviewer');
        },
    },
];
