// app.js - the shell of the tamis reviewer and operator UI: sign-in with an
// API token, the header and navigation, a hash router, the API client and
// the helpers every page gets (ctx). Pages are ES modules in pages/, each
// exporting { path, title, role, render(root, ctx) } (see the contract in
// doc and the comment on makeCtx below). No framework, no build step: the
// server's CSP forbids inline scripts and styles, so everything here builds
// DOM with textContent and sets events with addEventListener.

const TOKEN_KEY = 'tamis.token';
const ROLE_KEY = 'tamis.role';
const WHO_KEY = 'tamis.who';

// Pages in navigation order. Each is loaded on its own, so one missing or
// broken module leaves the others working.
const PAGE_MODULES = ['review', 'orders', 'banks', 'decisions', 'audit', 'report'];

const ROLE_RANK = { none: 0, matcher: 1, reviewer: 2, curator: 3, admin: 4 };

const state = {
  token: null,
  role: null,
  who: null,
  pages: [],          // loaded page modules, in PAGE_MODULES order
  cleanup: null,      // the current page's cleanup function
  generation: 0,      // bumped on every navigation; stale renders see it change
  firstRoute: true,
};

const app = document.getElementById('app');

// ---- DOM helpers -------------------------------------------------------------

// el('button', {class: 'btn', on: {click: fn}}, 'Save') -> <button>.
// attrs: class (string or array), text (textContent), on ({event: fn}),
// style (object of CSS properties, set through the CSSOM, which the CSP
// allows), value/checked/selected/disabled/... (set as properties), and any
// other attribute (true -> present, false/null/undefined -> absent).
// Children: nodes, strings (as text), numbers, arrays, null (skipped).
const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required',
  'multiple', 'readOnly', 'indeterminate', 'open', 'htmlFor', 'tabIndex', 'type']);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') {
      for (const c of (Array.isArray(v) ? v : String(v).split(/\s+/))) if (c) node.classList.add(c);
    } else if (k === 'text') {
      node.textContent = String(v);
    } else if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    } else if (k === 'style') {
      for (const [p, pv] of Object.entries(v)) node.style.setProperty(p, String(pv));
    } else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
    } else if (PROPS.has(k) && k !== 'type') {
      node[k] = v;
    } else {
      node.setAttribute(k === 'htmlFor' ? 'for' : k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

function pad(n) { return String(n).padStart(2, '0'); }

// Local time as "2026-01-31 14:05:09"; '' for a missing or zero time.
export function fmtTime(unix) {
  if (unix === null || unix === undefined || unix === '' || !Number(unix)) return '';
  const d = new Date(Number(unix) * 1000);
  if (isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// ---- The API client ----------------------------------------------------------

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function serverMessage(body, status, statusText) {
  if (body && typeof body === 'object') {
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
  }
  if (typeof body === 'string' && body.trim() && body.length < 300) return body.trim();
  return `HTTP ${status}${statusText ? ' ' + statusText : ''}`;
}

function parseBody(text, contentType) {
  if (contentType && contentType.includes('json')) {
    try { return JSON.parse(text); } catch { return text; }
  }
  return text;
}

function encodeBody(body, headers) {
  if (body === undefined || body === null) return undefined;
  if (body instanceof FormData || body instanceof Blob || body instanceof ArrayBuffer ||
      ArrayBuffer.isView(body) || typeof body === 'string' || body instanceof URLSearchParams) {
    return body;
  }
  headers['Content-Type'] = 'application/json';
  return JSON.stringify(body);
}

// One request. Resolves to the parsed JSON (or text for other types, or a
// Blob with opts.blob); rejects with ApiError {status, message}. A 401
// signs out; a 403 shows "Not allowed: ..." and leaves the session alone.
async function request(method, path, body, opts = {}) {
  const token = opts.token || state.token;
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  Object.assign(headers, opts.headers || {});
  const payload = encodeBody(body, headers);
  let status, statusText, contentType, data;
  try {
    if (opts.onUploadProgress) {
      ({ status, statusText, contentType, data } =
        await xhrRequest(method, path, headers, payload, opts));
    } else {
      const res = await fetch(path, { method, headers, body: payload, signal: opts.signal,
        cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
      status = res.status;
      statusText = res.statusText;
      contentType = res.headers.get('Content-Type') || '';
      if (opts.blob && res.ok) data = await res.blob();
      else data = parseBody(await res.text(), contentType);
    }
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server could not be reached. Check the connection and try again.');
  }
  if (status >= 200 && status < 300) return data;
  const msg = serverMessage(data, status, statusText);
  if (status === 401 && !opts.token) {
    signOut('Your session has ended: the token is no longer accepted. Sign in again.');
    throw new ApiError(401, msg, data);
  }
  if (status === 403) {
    const text = `Not allowed: ${msg}`;
    showAlert(text);
    throw new ApiError(403, text, data);
  }
  throw new ApiError(status, msg, data);
}

function xhrRequest(method, path, headers, payload, opts) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (opts.blob) xhr.responseType = 'blob';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) opts.onUploadProgress(e.loaded / e.total);
    });
    xhr.upload.addEventListener('load', () => opts.onUploadProgress(1));
    xhr.addEventListener('load', () => {
      const contentType = xhr.getResponseHeader('Content-Type') || '';
      const data = opts.blob && xhr.status < 300 ? xhr.response
        : parseBody(opts.blob ? '' : xhr.responseText, contentType);
      resolve({ status: xhr.status, statusText: xhr.statusText, contentType, data });
    });
    xhr.addEventListener('error', () => reject(new Error('network')));
    xhr.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    if (opts.signal) opts.signal.addEventListener('abort', () => xhr.abort());
    xhr.send(payload === undefined ? null : payload);
  });
}

// ---- Roles -------------------------------------------------------------------

function can(role, need) {
  return (ROLE_RANK[role] || 0) >= (ROLE_RANK[need] || 0);
}

// ---- Status and alert lines --------------------------------------------------

let statusNode = null;
let alertBox = null;
let alertText = null;
let sayTimer = 0;

function say(text) {
  if (!statusNode) return;
  // Clear first so that the same message twice is announced twice.
  statusNode.textContent = '';
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { statusNode.textContent = String(text); }, 30);
}

function showAlert(text) {
  if (!alertBox) return;
  alertText.textContent = String(text);
  alertBox.hidden = false;
}

function clearAlert() {
  if (!alertBox) return;
  alertText.textContent = '';
  alertBox.hidden = true;
}

// ---- Pages -------------------------------------------------------------------

async function loadPages() {
  const loaded = await Promise.all(PAGE_MODULES.map(async (name) => {
    try {
      const mod = await import(`./pages/${name}.js`);
      const page = mod.default;
      if (!page || typeof page.render !== 'function' || !page.path) {
        console.warn(`tamis: pages/${name}.js has no default export {path, title, role, render}; skipped`);
        return null;
      }
      return page;
    } catch (e) {
      console.warn(`tamis: pages/${name}.js could not be loaded; skipped`, e);
      return null;
    }
  }));
  state.pages = loaded.filter(Boolean);
}

function visiblePages() {
  return state.pages.filter((p) => can(state.role, p.role || 'reviewer'));
}

function parseHash() {
  let h = location.hash.replace(/^#\/?/, '');
  let query = '';
  const q = h.indexOf('?');
  if (q >= 0) { query = h.slice(q + 1); h = h.slice(0, q); }
  const parts = h.split('/').filter(Boolean).map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  return { path: parts[0] || '', params: parts.slice(1), query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// The ctx a page's render gets. say and alert do nothing once the page has
// been left, so a late answer cannot write over the next page's messages.
function makeCtx(gen, route) {
  const live = () => gen === state.generation;
  return {
    api: (method, path, body, opts) => request(method, path, body, opts),
    role: state.role,
    who: state.who,
    can: (need) => can(state.role, need),
    say: (text) => { if (live()) say(text); },
    alert: (text) => { if (live()) showAlert(text); },
    clearAlert: () => { if (live()) clearAlert(); },
    el,
    fmtTime,
    navigate,
    params: route.params,     // '#/banks/NAME' -> ['NAME']
    query: route.query,       // '#/decisions?bank=X' -> URLSearchParams
    isCurrent: live,
  };
}

function freshMain() {
  const old = document.getElementById('main');
  const main = el('main', { id: 'main', class: 'page', tabindex: '-1' });
  if (old) old.replaceWith(main);
  return main;
}

function setCurrentLink(path) {
  for (const a of document.querySelectorAll('nav.mainnav a')) {
    if (a.dataset.path === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (!state.token) return;
  const gen = ++state.generation;
  if (state.cleanup) {
    try { state.cleanup(); } catch (e) { console.error(e); }
    state.cleanup = null;
  }
  clearAlert();
  const r = parseHash();
  const visible = visiblePages();
  if (!r.path) {
    const first = visible[0];
    if (first) { location.replace(`#/${first.path}`); route(); return; }
  }
  const main = freshMain();
  const page = state.pages.find((p) => p.path === r.path);
  setCurrentLink(page ? page.path : '');
  if (!page) {
    document.title = 'Not found · tamis';
    main.append(el('h1', { text: 'Not found', tabindex: '-1' }),
      el('p', { text: r.path ? `There is no page "${r.path}".` : 'No page is available for your role.' }),
      visible[0] ? el('p', {}, el('a', { href: `#/${visible[0].path}`, text: `Go to ${visible[0].title}` })) : null);
    focusHeading(main);
    return;
  }
  if (!can(state.role, page.role || 'reviewer')) {
    document.title = 'Not allowed · tamis';
    main.append(el('h1', { text: 'Not allowed', tabindex: '-1' }),
      el('p', { text: `Your role (${state.role}) may not see this page.` }));
    focusHeading(main);
    return;
  }
  document.title = `${page.title} · tamis`;
  const ctx = makeCtx(gen, r);
  try {
    const cleanup = await page.render(main, ctx);
    if (typeof cleanup === 'function') {
      if (gen === state.generation) state.cleanup = cleanup;
      else cleanup();
    }
  } catch (e) {
    if (gen !== state.generation) return;
    console.error(e);
    if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) {
      showAlert(e && e.message ? e.message : String(e));
    }
    if (!main.querySelector('h1')) main.prepend(el('h1', { text: page.title }));
  }
  if (gen === state.generation) focusHeading(main);
}

// After a navigation, focus goes to the page's heading so that a screen
// reader hears where it is, unless the page has already put focus inside.
function focusHeading(main) {
  const first = state.firstRoute;
  state.firstRoute = false;
  if (first) return;
  if (main.contains(document.activeElement) && document.activeElement !== main) return;
  const h1 = main.querySelector('h1');
  if (h1) {
    if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
  } else {
    main.focus();
  }
}

// ---- Views: sign-in and the app ------------------------------------------------

function showLogin(message) {
  app.replaceChildren();
  document.title = 'Sign in · tamis';
  const input = el('input', { id: 'login-token', type: 'password', name: 'token',
    autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'login-help' });
  const error = el('p', { class: 'login__error', role: 'alert', id: 'login-error' });
  const button = el('button', { type: 'submit', class: 'btn btn--primary' }, 'Sign in');
  const form = el('form', { class: 'login__form', novalidate: true },
    el('label', { htmlFor: 'login-token', text: 'API token' }),
    input,
    el('p', { id: 'login-help', class: 'hint',
      text: 'Paste the token from "tamis token create". It stays in this browser tab only.' }),
    error,
    button);
  if (message) error.textContent = message;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = 'Enter an API token.';
      input.focus();
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      const me = await request('GET', '/a/me', undefined, { token });
      startSession(token, me);
    } catch (err) {
      error.textContent = err.status === 401 ? 'That token is not valid.'
        : `Could not sign in: ${err.message}`;
      button.disabled = false;
      input.select();
      input.focus();
    }
  });
  app.append(el('main', { id: 'main', class: 'login' },
    el('div', { class: 'login__card' },
      el('h1', { class: 'login__title' }, el('span', { class: 'brand__mark', 'aria-hidden': 'true' }), 'tamis'),
      el('p', { class: 'login__lead', text: 'Review matches and act on removal orders.' }),
      form)));
  input.focus();
}

function startSession(token, me) {
  const role = me && typeof me.role === 'string' ? me.role : 'matcher';
  state.token = token;
  state.role = role;
  state.who = me && me.who ? String(me.who) : '';
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(ROLE_KEY, role);
  sessionStorage.setItem(WHO_KEY, state.who);
  showApp();
}

function signOut(message) {
  state.generation++;
  if (state.cleanup) {
    try { state.cleanup(); } catch (e) { console.error(e); }
    state.cleanup = null;
  }
  state.token = state.role = state.who = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ROLE_KEY);
  sessionStorage.removeItem(WHO_KEY);
  statusNode = alertBox = alertText = null;
  showLogin(message);
}

function showApp() {
  app.replaceChildren();
  const nav = el('nav', { class: 'mainnav', 'aria-label': 'Main' },
    el('ul', {}, visiblePages().map((p) =>
      el('li', {}, el('a', { href: `#/${p.path}`, dataset: { path: p.path }, text: p.title })))));
  const header = el('header', { class: 'topbar' },
    el('a', { class: 'skip', href: '#main', on: { click: (e) => {
      e.preventDefault();
      const m = document.getElementById('main');
      if (m) m.focus();
    } } }, 'Skip to content'),
    el('div', { class: 'topbar__inner' },
      el('span', { class: 'brand' }, el('span', { class: 'brand__mark', 'aria-hidden': 'true' }), 'tamis'),
      nav,
      el('div', { class: 'topbar__user' },
        el('span', { class: 'topbar__role', title: state.who || '' }, `Signed in as ${state.role}`),
        el('button', { type: 'button', class: 'btn btn--quiet btn--small',
          on: { click: () => signOut('You have signed out.') } }, 'Sign out'))));
  statusNode = el('p', { class: 'statusline', role: 'status', 'aria-live': 'polite', id: 'status' });
  alertText = el('p', { class: 'alertbar__text', role: 'alert', id: 'alert' });
  alertBox = el('div', { class: 'alertbar', hidden: true },
    alertText,
    el('button', { type: 'button', class: 'btn btn--quiet btn--small', 'aria-label': 'Dismiss the message',
      on: { click: clearAlert } }, 'Dismiss'));
  app.append(header,
    el('div', { class: 'messages' }, alertBox, statusNode),
    el('main', { id: 'main', class: 'page', tabindex: '-1' }));
  route();
}

async function boot() {
  await loadPages();
  window.addEventListener('hashchange', () => route());
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showLogin();
    return;
  }
  // Check the stored token again: it may have been revoked, or its role changed.
  try {
    const me = await request('GET', '/a/me', undefined, { token });
    startSession(token, me);
  } catch (e) {
    if (e.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('Your session has ended. Sign in again.');
    } else {
      // The server is unreachable: keep the session and show what we knew.
      state.token = token;
      state.role = sessionStorage.getItem(ROLE_KEY) || 'matcher';
      state.who = sessionStorage.getItem(WHO_KEY) || '';
      showApp();
      showAlert(e.message);
    }
  }
}

boot();
