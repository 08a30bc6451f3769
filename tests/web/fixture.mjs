// The server the browser tests run against: build/tamis serve on a fresh
// SQLite database in a temporary directory and a free loopback port, a
// token per role, and the demo data put in through the HTTP API (banks,
// items hashed by the server from samples/, queued decisions, orders), so
// that the UI is tested against what the service really answers. A second
// small HTTP server here serves samples/ as the platform's media, for the
// review page's media_url.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROLES = ['matcher', 'reviewer', 'curator', 'admin'];

// The server runs under a small shell that stops it when its standard
// input closes: when stop() closes it, and when this process ends in any
// way (a crash, a timeout, SIGKILL), since the pipe closes with it. So no
// test run leaves a server behind.
const GUARD = 'exec 3<&0; "$@" </dev/null 3<&- & pid=$!; ' +
              '(cat <&3 >/dev/null; kill -TERM $pid 2>/dev/null; i=0; ' +
              'while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done; ' +
              'kill -KILL $pid 2>/dev/null) & exec 3<&-; wait $pid';

export function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Serves the files of DIR (flat, by name) at /media/NAME, with a
// Content-Type from the extension; anything else is 404.
function mediaServer(dir) {
    const types = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };
    const srv = http.createServer((req, res) => {
        const m = /^\/media\/([A-Za-z0-9._-]+)$/.exec(req.url.split('?')[0]);
        const file = m && path.join(dir, m[1]);
        if (!file || !types[path.extname(file)] || !fs.existsSync(file)) {
            res.writeHead(404, { 'Content-Type': 'text/plain' });
            res.end('not found');
            return;
        }
        res.writeHead(200, { 'Content-Type': types[path.extname(file)], 'Cache-Control': 'no-store' });
        fs.createReadStream(file).pipe(res);
    });
    return new Promise((resolve, reject) => {
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
}

export class ApiError extends Error {
    constructor(method, p, status, body) {
        super(`${method} ${p}: ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
        this.status = status;
        this.body = body;
    }
}

export async function startServer({ root, build, log }) {
    const tamis = path.resolve(root, build, 'tamis');
    if (!fs.existsSync(tamis))
        throw new Error(`${tamis} is missing: run make first`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tamis-web-'));
    const db = path.join(tmp, 'ui.db');
    const tokens = {};
    for (const role of ROLES) {
        const out = execFileSync(tamis, ['token', 'create', '--db', db, '--role', role,
                                         '--label', `web test ${role}`],
                           { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        tokens[role] = out.trim().split('\n').pop().trim();
    }
    const media = await mediaServer(path.join(root, 'samples'));
    const mediaBase = `http://127.0.0.1:${media.address().port}/media`;
    // The UI as built into the binary, unless TAMIS_WEB_DIR names a
    // directory to serve instead (--web-dir: edit web/ and rerun, no make).
    const webDir = process.env.TAMIS_WEB_DIR ? path.resolve(root, process.env.TAMIS_WEB_DIR) : null;
    const port = await freePort();
    const args = ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--no-snapshot', '--threads', '2'];
    if (webDir)
        args.push('--web-dir', webDir);
    const logFd = fs.openSync(log, 'w');
    const child = spawn('sh', ['-c', GUARD, 'sh', tamis, ...args], { stdio: ['pipe', logFd, logFd] });
    fs.closeSync(logFd);
    let exited = null;
    child.on('exit', (code, sig) => { exited = sig || code; });
    const base = `http://127.0.0.1:${port}`;
    const server = {
        base, url: `${base}/ui/`, tokens, db, tmp, mediaBase, webDir, log,
        api: (role, method, p, body, opts) => api(base, tokens[role], method, p, body, opts),
        upload: (role, p, file, extra) => upload(base, tokens[role], p, file, extra),
        async stop() {
            child.stdin.end();
            for (let i = 0; i < 150 && exited === null; i++)
                await sleep(100);
            const closed = new Promise((r) => media.close(r));
            media.closeAllConnections();
            await closed;
            fs.rmSync(tmp, { recursive: true, force: true });
        },
    };
    for (let i = 0; ; i++) {
        if (exited !== null) {
            await server.stop();
            throw new Error(`tamis serve exited (${exited}) before it listened: see ${log}`);
        }
        try {
            const r = await fetch(`${base}/status/live`);
            if (r.ok)
                break;
        } catch { /* not listening yet */ }
        if (i >= 150) {
            await server.stop();
            throw new Error(`tamis serve did not answer /status/live within 15 s: see ${log}`);
        }
        await sleep(100);
    }
    return server;
}

async function answer(method, p, r) {
    const text = await r.text();
    let body = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    if (!r.ok)
        throw new ApiError(method, p, r.status, body);
    return body;
}

async function api(base, token, method, p, body, opts = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    let data;
    if (body !== undefined) {
        data = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
        headers['Content-Type'] = 'application/json';
    }
    const r = await fetch(base + p, { method, headers, body: data, signal: AbortSignal.timeout(opts.timeout || 15000) });
    return answer(method, p, r);
}

// A multipart upload of FILE's bytes (with EXTRA bytes appended, which a
// JPEG decoder ignores after its end marker: another MD5 and SHA-256, the
// same PDQ).
async function upload(base, token, p, file, extra) {
    let bytes = fs.readFileSync(file);
    if (extra)
        bytes = Buffer.concat([bytes, Buffer.from(extra)]);
    const form = new FormData();
    form.append('photo', new Blob([bytes], { type: 'image/jpeg' }), path.basename(file));
    const r = await fetch(base + p, { method: 'POST', headers: { Authorization: `Bearer ${token}` },
                                      body: form, signal: AbortSignal.timeout(30000) });
    return answer('POST', p, r);
}

// Waits until FILE matches in BANK (without a puid: no decision).
async function matchable(server, bank, file) {
    for (let i = 0; i < 50; i++) {
        const m = await server.upload('matcher', `/m/match?bypass_coinflip=true&banks=${bank}`, file);
        if (m.matches.some((x) => x.bank === bank))
            return;
        await sleep(100);
    }
    throw new Error(`${path.basename(file)} still matches nothing in ${bank} 5 s after it was added`);
}

// The demo data. Returns what the tests need to know about it.
export async function seed(server, root) {
    const samples = fs.readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.jpg')).sort();
    if (samples.length < 4)
        throw new Error('samples/ has fewer than 4 JPEG files');
    // A bank whose exact matches are removed automatically and whose near
    // PDQ matches go to review.
    await server.api('curator', 'POST', '/c/banks', {
        name: 'TERROR_A', description: 'GIFCT hash-sharing list', labels: ['terrorism', 'gifct'],
        thresholds: { pdq: 31 },
        policy: { trusted: true, auto: { md5: 0, sha256: 0 }, review: { pdq: 31 } },
    });
    await server.api('curator', 'POST', '/c/banks', {
        name: 'TCAP_B', description: 'Tech Against Terrorism (TCAP)', labels: ['tcap'],
        enabled_ratio: 0.5, thresholds: { pdq: 20 },
    });
    const items = {};
    for (const f of samples)
        items[f] = (await server.upload('curator', '/c/bank/TERROR_A/content', path.join(root, 'samples', f))).id;
    // Writes are matchable within a second (doc/api.md): wait for the last.
    await matchable(server, 'TERROR_A', path.join(root, 'samples', samples[samples.length - 1]));
    // Near matches (same PDQ, other bytes) of the first three samples, each
    // queued for review with the platform's URL of the media.
    const queued = [];
    for (const [i, f] of samples.slice(0, 3).entries()) {
        const puid = `upload-${1001 + i}`;
        const q = `/m/match?puid=${puid}&media_url=${encodeURIComponent(`${server.mediaBase}/${f}`)}`;
        const m = await server.upload('matcher', q, path.join(root, 'samples', f), `\n${puid}`);
        const d = m.matches.find((x) => x.action === 'review');
        if (!d)
            throw new Error(`${q} queued nothing: ${JSON.stringify(m)}`);
        queued.push({ puid, id: d.decision_id, sample: f, item: items[f] });
    }
    // An exact copy of the fourth: removed automatically (and its PDQ match
    // queued too).
    const f4 = samples[3];
    await server.upload('matcher', `/m/match?puid=upload-2001&media_url=${encodeURIComponent(`${server.mediaBase}/${f4}`)}`,
                        path.join(root, 'samples', f4));
    // A list trusted for automated removal of PDQ matches: the fifth
    // sample's exact copy is removed without review (bypass_coinflip: the
    // bank takes part in half the lookups).
    await server.api('curator', 'PUT', '/c/bank/TCAP_B', { policy: { trusted: true, auto: { pdq: 10, md5: 0 } } });
    const f5 = samples[4] || samples[0];
    await server.upload('curator', '/c/bank/TCAP_B/content', path.join(root, 'samples', f5));
    await matchable(server, 'TCAP_B', path.join(root, 'samples', f5));
    const auto = await server.upload('matcher', `/m/match?bypass_coinflip=true&banks=TCAP_B&puid=upload-3001&media_url=${encodeURIComponent(`${server.mediaBase}/${f5}`)}`,
                                     path.join(root, 'samples', f5));
    if (!auto.matches.some((x) => x.action === 'remove'))
        throw new Error(`no automated removal for upload-3001: ${JSON.stringify(auto)}`);
    const now = Math.floor(Date.now() / 1000);
    const order = await server.api('reviewer', 'POST', '/a/orders', {
        authority: 'Politie Nederland', member_state: 'NL', reference: 'NL-2026-0001',
        issued_at: now - 600, locators: ['https://platform.example/v/1001'],
        reasons: 'Terrorist content: dissemination of a video glorifying an attack (Art 2(7)(a))',
        redress: 'Appeal to the District Court of The Hague within 30 days',
        withhold_information: false,
    });
    const paused = await server.api('reviewer', 'POST', '/a/orders', {
        authority: 'Bundeskriminalamt', member_state: 'DE', reference: 'DE-2026-0042',
        issued_at: now - 1200, locators: ['https://platform.example/v/2002', 'https://platform.example/v/2003'],
        reasons: 'Terrorist content: instructions for making explosives (Art 2(7)(d))',
        redress: 'Verwaltungsgericht Wiesbaden', withhold_information: true,
    });
    await server.api('reviewer', 'POST', `/a/orders/${paused.id}/step`,
                     { to: 'clarification_requested', note: 'The second locator does not resolve' });
    return { samples, items, queued, orders: [order, paused] };
}
