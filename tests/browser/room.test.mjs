// The room page end to end: real relay, real chromium, a Python agent on raw HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  REPO, eventually, launchBrowser, newLog, screenshotAt, startRelay, stopProcess, watch,
} from './harness.mjs';

const nacl = createRequire(import.meta.url)('tweetnacl');
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

let relay;
let browser;
let roomUrl;
let roomId;
let keyText;
const log = newLog();
const pages = {};
// Windows in which the relay was down: connection failures logged then are expected.
const downtime = [];

async function openPage(name, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.base });
  const page = await context.newPage();
  watch(page, log);
  if (url) await page.goto(url);
  pages[name] = page;
  return page;
}

const bodies = (page) => page.$$eval('#chat-list li.msg .msg-body', (ns) => ns.map((n) => n.textContent));
const countOf = async (page, text) => (await bodies(page)).filter((b) => b.includes(text)).length;

async function send(page, text) {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

function runPython(script, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/python3', [path.join(REPO, 'tests/browser', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${script} exited ${code}: ${err}`));
    });
  });
}

async function post(body) {
  const res = await fetch(`${relay.base}/api/rooms/${roomId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

function sealed(text, sender) {
  const key = Buffer.from(keyText, 'base64url');
  const nonce = nacl.randomBytes(24);
  return { sender, ciphertext: b64(nacl.secretbox(new TextEncoder().encode(text), nonce, key)), nonce: b64(nonce) };
}

before(async () => {
  relay = await startRelay();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (relay) await stopProcess(relay.proc);
});

test('"New room" mints a key in the browser and two contexts exchange messages', async () => {
  const landing = await openPage('landing', `${relay.base}/`);
  await landing.click('#new-room');
  await landing.waitForURL(/\/room\/[A-Z2-9]{10}#k=[A-Za-z0-9_-]{43}$/);
  roomUrl = landing.url();
  [, roomId, keyText] = /\/room\/([A-Z2-9]{10})#k=([A-Za-z0-9_-]{43})$/.exec(roomUrl);
  pages.alice = landing;
  const bob = await openPage('bob', roomUrl);
  await eventually(async () => (await landing.textContent('#conn-status')) === 'connected', { what: 'alice connected' });
  await eventually(async () => (await bob.textContent('#conn-status')) === 'connected', { what: 'bob connected' });

  await send(landing, 'hello from alice');
  await eventually(async () => (await countOf(bob, 'hello from alice')) === 1, { what: 'bob sees alice' });
  const aliceName = await landing.inputValue('#name-input');
  const bobName = await bob.inputValue('#name-input');
  assert.notEqual(aliceName, bobName);
  assert.match(aliceName, /^visitor-[a-z]+-[0-9A-Z]{2}$/);
  const sender = await bob.textContent('#chat-list li.msg .sender');
  assert.equal(sender, aliceName);
  assert.equal(await bob.$$eval('#chat-list .badge.verified', (n) => n.length), 0, 'unsigned senders get no badge');

  // Bob replies in context; Alice sees the quoted parent.
  await bob.click('#chat-list li.msg .act-reply');
  await send(bob, 'a reply from bob');
  await eventually(async () => (await countOf(landing, 'a reply from bob')) === 1, { what: 'alice sees bob' });
  const quote = await landing.$eval('#chat-list li.msg:last-child .reply-preview', (n) => n.textContent);
  assert.match(quote, /hello from alice/);

  // Escape drops a reply being composed.
  await landing.click('#chat-list li.msg .act-reply');
  assert.equal(await landing.isVisible('#reply-banner'), true);
  await landing.press('#composer-input', 'Escape');
  assert.equal(await landing.isVisible('#reply-banner'), false);

  // Bob reacts; the envelope is applied, not shown.
  await bob.click('#chat-list li.msg:first-child .act-react');
  await bob.click('.picker-emoji >> nth=0');
  await eventually(async () => (await landing.$$eval('#chat-list li.msg:first-child .reaction .count', (n) => n.map((x) => x.textContent))).join() === '1', { what: 'reaction on alice' });
  assert.equal((await bodies(landing)).length, 2, 'reactions and history requests are not chat bubbles');
  assert.ok(!(await bodies(landing)).some((b) => b.includes('bot2bot_')));

  // Shift+Enter adds a line, Enter sends; Delete (confirmed) removes the bubble everywhere.
  await landing.fill('#composer-input', 'line one');
  await landing.press('#composer-input', 'Shift+Enter');
  await landing.type('#composer-input', 'line two');
  await landing.press('#composer-input', 'Enter');
  await eventually(async () => (await bob.$$eval('#chat-list li.msg .msg-body', (ns) => ns.map((n) => n.innerText))).includes('line one\nline two'), { what: 'two-line message' });
  assert.equal(await landing.inputValue('#composer-input'), '', 'the composer is cleared');
  const doomed = bob.locator('#chat-list li.msg', { hasText: 'line two' });
  await doomed.locator('.act-delete').click();
  await doomed.locator('.act-delete').click();
  await eventually(async () => (await countOf(landing, 'line two')) === 0 && (await countOf(bob, 'line two')) === 0, { what: 'deleted everywhere' });

  // Copy invite link puts the full URL, key included, on the clipboard (not on the network).
  await landing.click('#copy-invite');
  assert.equal(await landing.evaluate(() => navigator.clipboard.readText()), roomUrl);

  // Presence lists the other participant as live.
  await eventually(async () => (await landing.$$eval('#presence-list .person-name', (n) => n.map((x) => x.textContent))).includes(bobName), { what: 'presence' });
  assert.equal(await landing.$eval('#presence-list li.person.live .person-name', (n) => n.textContent.length > 0), true);
  assert.match(await landing.textContent('#fingerprint'), /^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
});

test('a Python agent (PyNaCl, raw HTTP) and the page talk both ways', async () => {
  const page = pages.alice;
  const agent = spawn('/usr/bin/python3', [path.join(REPO, 'tests/browser/agent.py'), relay.base, roomId, keyText, 'reply from the browser'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  agent.stdout.on('data', (d) => { out += d; });
  agent.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => agent.on('exit', resolve));
  try {
    await eventually(async () => (await countOf(page, 'hello from python')) === 1, { what: 'agent message in the page', timeoutMs: 15000 });
    const bubble = page.locator('#chat-list li.msg', { hasText: 'hello from python' });
    assert.equal(await bubble.locator('.sender').textContent(), 'py-agent');
    await bubble.locator('.act-reply').click();
    await send(page, 'reply from the browser');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30000))]);
    assert.equal(code, 0, `agent: ${out} ${err}`);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    const got = lines.find((l) => l.got);
    assert.equal(got.got, 'reply from the browser');
    assert.equal(got.reply_to, got.sent_id, 'the reply points at the agent message');
  } finally {
    await stopProcess(agent);
  }
});

test('a message link opens the room scrolled to that message, then drops m from the address', async () => {
  const bubble = pages.alice.locator('#chat-list li.msg:not(.mine)', { hasText: 'hello from python' });
  const id = await bubble.getAttribute('data-id');
  await bubble.locator('.act-link').click();
  const link = await pages.alice.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, `${roomUrl}&m=${id}`);
  const reader = await openPage('permalink', link);
  await eventually(async () => (await reader.$$(`#chat-list li.msg.flash[data-id="${id}"]`)).length === 1, { what: 'flashed target' });
  await eventually(() => reader.url() === roomUrl, { what: 'm removed from the address bar' });
  await reader.context().close();
});

test('a signed sender gets the verified badge', async () => {
  const out = await runPython('signed_agent.py', [relay.base, roomId, keyText, 'signed hello']);
  const { handle } = JSON.parse(out);
  const page = pages.bob;
  await eventually(async () => (await countOf(page, 'signed hello')) === 1, { what: 'signed message' });
  const bubble = page.locator('#chat-list li.msg', { hasText: 'signed hello' });
  assert.equal(await bubble.locator('.sender').textContent(), `@${handle}`);
  assert.equal(await bubble.locator('.badge.verified').count(), 1);
});

test('tampered ciphertext shows as undecryptable', async () => {
  const body = sealed('this will be tampered', 'mallory');
  const raw = Buffer.from(body.ciphertext, 'base64');
  raw[raw.length - 1] ^= 0x01;
  await post({ ...body, ciphertext: b64(raw) });
  const page = pages.bob;
  await eventually(async () => (await page.$$('#chat-list li.msg.undecryptable')).length === 1, { what: 'undecryptable bubble' });
  const text = await page.textContent('#chat-list li.msg.undecryptable');
  assert.match(text, /Undecryptable/);
  assert.match(text, /mallory/);
  assert.ok(!(await bodies(page)).some((b) => b.includes('this will be tampered')));
});

test('a relay restart is caught up with no duplicates', async () => {
  const page = pages.alice;
  const before = await bodies(page);
  const downAt = Date.now();
  await stopProcess(relay.proc);
  await eventually(async () => (await page.textContent('#conn-status')) !== 'connected', { what: 'page notices' });
  relay = await startRelay({ dataDir: relay.dataDir, port: relay.port });
  downtime.push([downAt, Date.now() + 1000]);
  await post(sealed('posted after the restart', 'py-agent'));
  await eventually(async () => (await page.textContent('#conn-status')) === 'connected', { what: 'reconnect', timeoutMs: 20000 });
  await eventually(async () => (await countOf(page, 'posted after the restart')) === 1, { what: 'catch-up' });
  await send(pages.bob, 'bob after the restart');
  await eventually(async () => (await countOf(page, 'bob after the restart')) === 1, { what: 'live after restart' });

  // A second reconnect replays the new buffer again: still one bubble each.
  await page.evaluate(() => window.bot2botRoom.dropConnection());
  await eventually(async () => (await page.textContent('#conn-status')) === 'connected', { what: 'second reconnect', timeoutMs: 20000 });
  await page.waitForTimeout(500);
  const afterTexts = await bodies(page);
  assert.equal(afterTexts.length, before.length + 2, afterTexts.join(' | '));
  assert.equal(new Set(afterTexts).size, afterTexts.length, 'no duplicates');
  const seqs = await page.$$eval('#chat-list li.msg', (ns) => ns.map((n) => Number(n.dataset.seq)));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'bubbles stay in seq order');
});

test('"Save transcript" downloads the visible conversation', async () => {
  const page = pages.alice;
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-transcript')]);
  assert.match(download.suggestedFilename(), new RegExp(`^bot2bot-${roomId}-.*\\.txt$`));
  const text = await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString('utf8'));
  assert.match(text, /hello from alice/);
  assert.match(text, /reply from the browser/);
  assert.ok(!text.includes('bot2bot_'), 'no protocol envelopes');
});

test('screenshots at desktop and phone width without horizontal overflow', async () => {
  const page = pages.alice;
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    const overflow = await screenshotAt(page, 'room', w, h);
    assert.ok(overflow <= 0, `room overflows by ${overflow}px at ${w}px`);
  }
});

test('sign in, promote an anonymous participant (adopt with consent), lock the room', async () => {
  const { alice, bob } = pages;
  const aliceHandle = `alice-${Date.now().toString(36)}`;
  await alice.fill('#handle-input', aliceHandle);
  await alice.click('#create-identity button[type="submit"]');
  await eventually(async () => (await alice.textContent('#me-label')) === `@${aliceHandle}`, { what: 'alice signed in' });
  await send(alice, 'signed by alice');
  const signedBubble = bob.locator('#chat-list li.msg', { hasText: 'signed by alice' });
  await eventually(async () => (await signedBubble.count()) === 1, { what: 'signed message at bob' });
  assert.equal(await signedBubble.locator('.sender').textContent(), `@${aliceHandle}`);
  assert.equal(await signedBubble.locator('.badge.verified').count(), 1);

  // Alice promotes Bob; Bob consents; his next message is signed.
  const bobName = await bob.inputValue('#name-input');
  const promoted = `bob-${Date.now().toString(36)}`;
  alice.once('dialog', (d) => d.accept(promoted));
  let asked = '';
  bob.once('dialog', (d) => { asked = d.message(); d.accept(); });
  const row = alice.locator('#presence-list li.person', { hasText: bobName });
  await row.locator('button.promote').click();
  await eventually(async () => (await bob.textContent('#me-label')) === `@${promoted}`, { what: 'bob adopted' });
  assert.match(asked, new RegExp(`@${aliceHandle} offers you the identity @${promoted}`));
  await send(bob, 'bob is signed now');
  const bobBubble = alice.locator('#chat-list li.msg', { hasText: 'bob is signed now' });
  await eventually(async () => (await bobBubble.count()) === 1, { what: 'bob signed message' });
  assert.equal(await bobBubble.locator('.sender').textContent(), `@${promoted}`);
  assert.equal(await bobBubble.locator('.badge.verified').count(), 1);
  assert.ok(!(await bodies(alice)).some((b) => b.includes('bot2bot_adopt_v1')), 'the offer is not a chat bubble');

  // A newcomer after the restart gets what the relay no longer holds from signed peers
  // (hist_req / hist_resp), merged in seq order without duplicates.
  const carol = await openPage('carol', roomUrl);
  await eventually(async () => (await countOf(carol, 'hello from alice')) === 1, { what: 'peer history', timeoutMs: 15000 });
  await carol.waitForTimeout(2500);  // both signed peers answer; the second answer must add nothing
  const carolTexts = await bodies(carol);
  assert.equal(new Set(carolTexts).size, carolTexts.length, 'no duplicates from two responders');
  assert.ok(carolTexts.includes('hello from python') && carolTexts.includes('bob is signed now'));
  const carolSeqs = await carol.$$eval('#chat-list li.msg', (ns) => ns.map((n) => Number(n.dataset.seq)));
  assert.deepEqual(carolSeqs, [...carolSeqs].sort((a, b) => a - b), 'restored history sits before newer messages');
  assert.ok(!carolTexts.some((b) => b.includes('bot2bot_')));

  // Lock: both pages show the signed-only state; unsigned posts are refused.
  await alice.check('#lock-room');
  await send(alice, 'locking the room');
  for (const p of [alice, bob]) {
    await eventually(async () => p.isVisible('#signed-only'), { what: 'signed-only banner' });
  }
  const res = await fetch(`${relay.base}/api/rooms/${roomId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(sealed('unsigned', 'anon')),
  });
  assert.equal(res.status, 403);
  const status = await (await fetch(`${relay.base}/api/rooms/${roomId}/status`)).json();
  assert.equal(status.signed_only, true);
});

test('the key never appears in any request, and no console errors', async () => {
  const keyStd = Buffer.from(keyText, 'base64url').toString('base64');
  assert.ok(log.requests.length > 10);
  for (const r of log.requests) {
    for (const k of [keyText, keyStd, encodeURIComponent(keyStd)]) {
      assert.ok(!r.url.includes(k) && !r.headers.includes(k) && !r.body.includes(k), `key leaked in ${r.url}`);
    }
  }
  const origins = new Set(log.requests.map((r) => new URL(r.url).host));
  assert.deepEqual([...origins], [new URL(relay.base).host], 'no third-party hosts: no CDNs, fonts or trackers');
  const expectedWhileDown = (e) => downtime.some(([a, b]) => e.at >= a && e.at <= b + 20000) &&
    /WebSocket connection to|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e.text);
  const errors = log.errors.filter((e) => !expectedWhileDown(e));
  assert.deepEqual(errors, []);
});
