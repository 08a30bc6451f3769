// Runs the browser tests of the web UI: every tests/web/*.spec.mjs, each
// exporting `tests`, an array of {name, role?, start?, fn}, against one
// `tamis serve` started here (fixture.mjs) in Debian's chromium driven by
// playwright-core. Each test gets a fresh browser context; with `role` it
// starts signed in as that role (on page #/START if given). fn gets
// {page, context, server, data, login, nav, shot, a11y}; the server and
// its data are shared, so a test makes what it alone needs.
//
//   node tests/web/run.mjs [FILTER...]
//   node tests/web/run.mjs --serve     (the seeded server alone, for a look)
//
// FILTERs select the tests whose id (web:SPEC:NAME) contains one of them.
// The server serves the UI built into $TAMIS_BUILD/tamis, or with
// TAMIS_WEB_DIR=web the files of web/ as they are (no rebuild needed).
// Prints "ok ID", "FAIL ID: reason" or "skip ID: reason" per test, the
// screenshots written (under $TAMIS_BUILD/ui, default build/ui, or
// $TAMIS_UI_OUT; a failed test's is failed-NAME.png), and last
// "N passed, N failed, N skipped".
// When playwright-core (npm ci --prefix tests/web), the browser or the
// server binary is missing, it says so and counts one skipped.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startServer, seed } from './fixture.mjs';
import { Skip, checkA11y } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const build = process.env.TAMIS_BUILD || 'build';
const chromiumPath = process.env.TAMIS_CHROMIUM || '/usr/bin/chromium';
const outDir = path.resolve(root, process.env.TAMIS_UI_OUT || path.join(build, 'ui'));
const TEST_TIMEOUT = 90_000;
const RUN_TIMEOUT = 20 * 60_000;

function skipAll(why) {
    console.log(`note: browser tests skipped (${why})`);
    console.log('0 passed, 0 failed, 1 skipped');
    process.exit(0);
}

let chromium;
try {
    ({ chromium } = await import('playwright-core'));
} catch {
    skipAll('no playwright-core in tests/web/node_modules: run npm ci --prefix tests/web');
}
if (!fs.existsSync(chromiumPath))
    skipAll(`no ${chromiumPath}: apt-get install chromium`);
if (!fs.existsSync(path.join(root, build, 'tamis')))
    skipAll(`no ${build}/tamis: run make`);

// --serve: start and seed the server as the tests see it, print its
// address and tokens, and wait (Ctrl-C stops it): for looking at the UI by
// hand with the tests' data.
if (process.argv[2] === '--serve') {
    fs.mkdirSync(outDir, { recursive: true });
    const srv = await startServer({ root, build, log: path.join(outDir, 'server.log') });
    await seed(srv, root);
    console.log(`${srv.url}\n${JSON.stringify(srv.tokens, null, 1)}\nserver log: ${srv.log}`);
    const stop = async () => { await srv.stop(); process.exit(0); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await new Promise(() => {});
}

const filters = process.argv.slice(2);
const specs = fs.readdirSync(here).filter((f) => f.endsWith('.spec.mjs')).sort();
const tests = [];
for (const f of specs) {
    const mod = await import(pathToFileURL(path.join(here, f)).href);
    for (const t of mod.tests || []) {
        const id = `web:${f.replace(/\.spec\.mjs$/, '')}:${t.name}`;
        if (filters.length === 0 || filters.some((x) => id.includes(x)))
            tests.push({ ...t, id });
    }
}

if (tests.length === 0) {
    console.log(`note: no browser test matches ${filters.join(' ')}`);
    console.log('0 passed, 0 failed, 0 skipped');
    process.exit(0);
}

// A whole run starts from no screenshots; a filtered one keeps those of
// the tests it does not run.
fs.mkdirSync(outDir, { recursive: true });
for (const f of fs.readdirSync(outDir))
    if (f.endsWith('.png') && (filters.length === 0 || tests.some((t) => f === `failed-${t.name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`)))
        fs.rmSync(path.join(outDir, f));

let server, browser;
const shots = [];
let passed = 0, failed = 0, skipped = 0;

async function shutdown() {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
}
const watchdog = setTimeout(async () => {
    console.log(`FAIL    web: the browser tests took over ${RUN_TIMEOUT / 60000} minutes; stopped`);
    await shutdown();
    console.log(`${passed} passed, ${failed + 1} failed, ${skipped} skipped`);
    process.exit(1);
}, RUN_TIMEOUT);
for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => { process.exit(130); }); // the server stops as our pipe closes

const fileName = (name) => name.replace(/[^A-Za-z0-9._-]+/g, '-');
const shown = (f) => (path.relative(root, f).startsWith('..') ? f : path.relative(root, f));

let data;
try {
    server = await startServer({ root, build, log: path.join(outDir, 'server.log') });
    data = await seed(server, root);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
                                      args: ['--no-sandbox', '--disable-dev-shm-usage'] });
} catch (e) {
    console.log(`FAIL    web:setup: ${e.stack || e.message}`);
    await shutdown();
    console.log(`0 passed, 1 failed, ${tests.length} skipped`);
    process.exit(1);
}

for (const t of tests) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // Uncaught errors in the page, and what the CSP refused, fail the test.
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(`uncaught in the page: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text()))
            pageErrors.push(`console: ${m.text()}`);
    });
    const shot = async (name) => {
        const file = path.join(outDir, `${fileName(name)}.png`);
        // From the top, so that a sticky header is drawn where it belongs.
        await page.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
        await page.screenshot({ path: file, fullPage: true });
        const rel = shown(file);
        if (!shots.includes(rel))
            shots.push(rel);
        return file;
    };
    // Signs in as ROLE from the login view at #/START (the page shown
    // after signing in; by default the first the role may see, which for a
    // reviewer is Review, where showing an item claims it).
    const login = async (role, start) => {
        await page.goto(start ? `${server.url}#/${start}` : server.url);
        await page.getByLabel('API token').fill(server.tokens[role]);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByText(`Signed in as ${role}`).waitFor();
    };
    // Follows the main navigation's link NAME and waits for the page's h1.
    const nav = async (name, h1 = name) => {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
    };
    const a11y = (where) => checkA11y(page, where);
    let timer;
    try {
        await Promise.race([
            (async () => {
                if (t.role)
                    await login(t.role, t.start);
                await t.fn({ page, context, server, data, login, nav, shot, a11y });
                if (pageErrors.length)
                    throw new Error(pageErrors.join('; '));
            })(),
            new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT / 1000} s`)), TEST_TIMEOUT);
            }),
        ]);
        passed++;
        console.log(`ok      ${t.id}`);
    } catch (e) {
        if (e instanceof Skip) {
            skipped++;
            console.log(`skip    ${t.id}: ${e.message}`);
        } else {
            failed++;
            const text = (e && e.message ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, '');
            let msg = text.split('\n').filter((l) => l.trim()).slice(0, 6).join(' | ');
            if (pageErrors.length && !msg.includes(pageErrors[0]))
                msg += ` (and in the page: ${pageErrors.join('; ')})`;
            console.log(`FAIL    ${t.id}: ${msg}`);
            try {
                const f = await shot(`failed-${t.name}`);
                console.log(`        screenshot: ${shown(f)}`);
            } catch { /* the page is gone */ }
        }
    } finally {
        clearTimeout(timer);
        await context.close().catch(() => {});
    }
}

await shutdown();
clearTimeout(watchdog);
// A sanitizer build's server reports leaks and undefined behaviour in its
// log (tests/run.sh sets ASAN_OPTIONS and UBSAN_OPTIONS).
const serverLog = fs.existsSync(server.log) ? fs.readFileSync(server.log, 'utf8') : '';
const sanitizer = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.exec(serverLog);
if (sanitizer) {
    failed++;
    console.log(`FAIL    web:server: a sanitizer report in the server's log: ${sanitizer[0]}`);
}
if (failed)
    console.log(`        server log: ${shown(server.log)}`);
console.log('screenshots:');
for (const s of shots)
    console.log(`  ${s}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
