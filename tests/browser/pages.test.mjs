// Landing, connect, agent directory and operator pages against the real relay: content,
// headers, snippets, search and profile, metrics charts, screenshots and overflow.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { REPO, eventually, launchBrowser, newLog, screenshotAt, startRelay, stopProcess, watch } from './harness.mjs';

let relay;
let browser;
let context;
const log = newLog();
const TOKEN = 'operator-token-for-the-browser-suite';

function publishAgent() {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', [path.join(REPO, 'tests/browser/signed_agent.py'), relay.base], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out).handle);
      else reject(new Error(`signed_agent.py exited ${code}: ${err}`));
    });
  });
}

// Status of a request whose path is sent byte for byte (fetch would normalise dot segments).
function rawStatus(rawPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: relay.port, path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
}

async function page(url) {
  const p = await context.newPage();
  watch(p, log);
  const res = await p.goto(`${relay.base}${url}`);
  assert.equal(res.status(), 200, url);
  return { p, res };
}

async function shots(p, name) {
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    const overflow = await screenshotAt(p, name, w, h);
    assert.ok(overflow <= 0, `${name} overflows by ${overflow}px at ${w}px`);
  }
}

before(async () => {
  relay = await startRelay({ args: ['--metrics-token', TOKEN] });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.base });
});

after(async () => {
  await browser?.close();
  if (relay) await stopProcess(relay.proc);
});

test('landing: strict headers, a room minted in the browser, snippets with its URL', async () => {
  const { p, res } = await page('/');
  const headers = res.headers();
  assert.match(headers['content-type'], /^text\/html/);
  const csp = headers['content-security-policy'];
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.ok(!csp.includes('unsafe-inline'));
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.match(await p.textContent('h1'), /Bot2Bot/);
  const url = await p.inputValue('#room-url');
  assert.match(url, new RegExp(`^${relay.base}/room/[A-Z2-9]{10}#k=[A-Za-z0-9_-]{43}$`));
  const codes = await p.$$eval('.snippet pre code', (ns) => ns.map((n) => n.textContent));
  assert.equal(codes.length, 4);
  assert.equal(codes.filter((c) => c.includes(url)).length, 3, 'Python, CLI and MCP snippets carry the room URL');
  await p.click('.snippet[data-snippet="python"] button.copy');
  await eventually(async () => (await p.textContent('.snippet[data-snippet="python"] button.copy')) === 'Copied', { what: 'Copied' });
  assert.equal(await p.evaluate(() => navigator.clipboard.readText()), codes[0]);
  const key = url.split('#k=')[1];
  await shots(p, 'landing');
  assert.ok(!log.requests.some((r) => r.url.includes(key) || r.body.includes(key)), 'the minted key is never sent');
  await p.close();
});

test('connect page renders snippets for a pasted room URL', async () => {
  const { p } = await page('/connect');
  await p.fill('#connect-url', `${relay.base}/room/PASTED1234#k=abc`);
  await eventually(async () => (await p.textContent('.snippet[data-snippet="curl"] code')).includes('/api/rooms/PASTED1234/status'), { what: 'snippets follow the URL' });
  await shots(p, 'connect');
  await p.close();
});

test('agent directory: search with filters and a profile view', async () => {
  const handle = await publishAgent();
  const { p } = await page('/agents');
  await eventually(async () => (await p.$$('#agent-list .agent-card')).length === 1, { what: 'one agent listed' });
  assert.match(await p.textContent('#agent-list'), /Review Bot/);
  await p.fill('input[name="capability"]', 'no-such-capability');
  await p.click('#search button[type="submit"]');
  await eventually(async () => (await p.textContent('#result-count')) === 'No agents match.', { what: 'filter applies' });
  assert.match(p.url(), /capability=no-such-capability/);
  await p.fill('input[name="capability"]', 'code-review');
  await p.fill('input[name="q"]', 'pull requests');
  await p.click('#search button[type="submit"]');
  await eventually(async () => (await p.$$('#agent-list .agent-card')).length === 1, { what: 'filtered result' });
  await shots(p, 'agents');
  await p.setViewportSize({ width: 1280, height: 800 });
  await p.click(`a[data-handle="${handle}"]`);
  await eventually(async () => p.url().endsWith(`/agents?agent=${handle}`) && (await p.textContent('#profile h1')) === 'Review Bot', { what: 'profile view' });
  assert.match(await p.textContent('#profile dl'), new RegExp(`@${handle}`));
  await shots(p, 'agent-profile');
  await p.close();
});

test('operator page: charts from /metrics, token only as a Bearer header', async () => {
  const { p } = await page('/admin');
  await eventually(async () => (await p.textContent('#chart-rooms .value')) !== '–', { what: 'first reading' });
  assert.match(await p.getAttribute('#chart-rooms path', 'd'), /^M/);
  await p.fill('#token', TOKEN);
  await p.click('#token-form button[type="submit"]');
  await eventually(() => log.requests.some((r) => r.url.endsWith('/metrics') && r.headers.includes(`Bearer ${TOKEN}`)), { what: 'bearer header' });
  await eventually(async () => (await p.getAttribute('#chart-messages path', 'd')).startsWith('M'), { what: 'a rate point', timeoutMs: 12000 });
  assert.ok(!log.requests.some((r) => r.url.includes(TOKEN)), 'the token never appears in a URL');
  assert.ok(!p.url().includes(TOKEN));
  await shots(p, 'admin');
  await p.close();
});

test('a room link without a usable key is refused in the page, before any connection', async () => {
  for (const [hash, message] of [['', /Missing room key/], ['#k=tooshort', /Invalid room key fragment/]]) {
    const { p } = await page(`/room/NOKEY1234${hash}`);
    await eventually(async () => p.isVisible('#room-error'), { what: 'key error' });
    assert.match(await p.textContent('#room-error'), message);
    assert.equal(await p.isDisabled('#composer-input'), true);
    await p.close();
  }
  assert.ok(!log.requests.some((r) => r.url.includes('/api/rooms/NOKEY1234')), 'no relay traffic without a key');
});

test('every same-origin link on the pages answers HEAD with 200', async () => {
  const links = new Set();
  for (const url of ['/', '/connect', '/agents', '/admin']) {
    const { p } = await page(url);
    for (const href of await p.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')))) {
      links.add(href.split('#')[0]);
    }
    await p.close();
  }
  assert.ok(links.has('/docs/cli') && links.has('/api/docs'));
  for (const href of links) {
    const res = await fetch(`${relay.base}${href}`, { method: 'HEAD' });
    assert.equal(res.status, 200, href);
  }
});

test('docs and the API explorer are served under the same strict policy', async () => {
  const { p, res } = await page('/docs');
  assert.match(res.headers()['content-type'], /^text\/html/);
  assert.ok(!res.headers()['content-security-policy'].includes('unsafe-inline'));
  assert.ok((await p.$$('main h1, main h2')).length > 0, 'the guide is rendered from Markdown');
  await shots(p, 'docs');
  await p.close();
  const api = await fetch(`${relay.base}/api/docs`);
  assert.equal(api.status, 200);
  assert.match(await api.text(), /swagger-ui/);
});

test('assets have the right types and no console errors anywhere', async () => {
  for (const [url, type] of [['/js/room.js', /javascript/], ['/css/site.css', /^text\/css/], ['/favicon.svg', /^image\/svg\+xml/], ['/vendor/tweetnacl.js', /javascript/]]) {
    const res = await fetch(`${relay.base}${url}?v=abc`);
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type'), type, url);
    const head = await fetch(`${relay.base}${url}`, { method: 'HEAD' });
    assert.equal(head.status, 200, `HEAD ${url}`);
    // Assets revalidate on every load; an unchanged one comes back as a bodiless 304.
    const tag = res.headers.get('etag');
    assert.match(tag, /^"[0-9a-f]{32}"$/, url);
    const again = await fetch(`${relay.base}${url}`, { headers: { 'If-None-Match': tag } });
    assert.equal(again.status, 304, url);
  }
  for (const raw of ['/js/..%2f..%2fCMakeLists.txt', '/js/%2e%2e/room.html', '/css/../../package.json']) {
    assert.equal(await rawStatus(raw), 404, raw);
  }
  assert.equal((await fetch(`${relay.base}/js/nope.txt`)).status, 404);
  assert.deepEqual(log.errors, []);
  const hosts = new Set(log.requests.filter((r) => !r.url.startsWith('blob:')).map((r) => new URL(r.url).host));
  assert.deepEqual([...hosts], [new URL(relay.base).host], 'no third-party hosts: no CDNs, fonts or trackers');
});
