// Signing in with an API token, and the pages each role is shown.
import { assert, until } from './helpers.mjs';

// The main navigation's links for each role (doc: notes' UI contract).
export const NAV = {
    matcher: ['Banks'],
    reviewer: ['Review', 'Orders', 'Banks', 'Decisions', 'Report'],
    curator: ['Review', 'Orders', 'Banks', 'Decisions', 'Report'],
    admin: ['Review', 'Orders', 'Banks', 'Decisions', 'Audit log', 'Report'],
};

export async function navLinks(page) {
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    await links.first().waitFor();
    return (await links.allInnerTexts()).map((s) => s.trim());
}

export const tests = [
    {
        name: 'login-wrong-token',
        async fn({ page, server, shot, a11y }) {
            await page.goto(server.url);
            await page.getByRole('heading', { level: 1, name: 'tamis' }).waitFor();
            await a11y('the login view');
            const input = page.getByLabel('API token');
            assert.equal(await input.getAttribute('type'), 'password', 'the token field is not a password field');
            await shot('login');
            await input.fill('not-a-token-' + 'x'.repeat(31));
            await page.getByRole('button', { name: 'Sign in' }).click();
            const alert = page.getByRole('alert').filter({ hasText: 'That token is not valid.' });
            await alert.waitFor();
            await shot('login-refused');
            assert.equal(await page.getByText(/Signed in as/).count(), 0, 'signed in with a wrong token');
            assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0,
                         'the navigation is shown after a wrong token');
        },
    },
    {
        name: 'login-each-role-sees-its-pages',
        async fn({ page, server, login }) {
            for (const role of ['reviewer', 'matcher', 'curator', 'admin']) {
                await login(role, 'banks');
                const links = await navLinks(page);
                assert.deepEqual(links, NAV[role], `the ${role}'s navigation`);
                const token = server.tokens[role];
                assert.ok(!page.url().includes(token), 'the token is in the URL');
                const stored = await page.evaluate(() => ({
                    session: sessionStorage.getItem('tamis.token'),
                    local: Object.keys(localStorage).map((k) => localStorage.getItem(k)).join('\n'),
                    cookie: document.cookie,
                }));
                assert.equal(stored.session, token, "the token is not in sessionStorage('tamis.token')");
                assert.ok(!stored.local.includes(token), 'the token is kept in localStorage');
                assert.ok(!stored.cookie.includes(token), 'the token is kept in a cookie');
                await page.getByRole('button', { name: 'Sign out' }).click();
                await page.getByLabel('API token').waitFor();
                await until('the token to be forgotten at sign-out',
                            async () => (await page.evaluate(() => sessionStorage.getItem('tamis.token'))) === null);
            }
        },
    },
];
