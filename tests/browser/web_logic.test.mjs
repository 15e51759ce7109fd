// Unit tests for the web app's pure modules (web/js), run by node without a browser.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { b64ToBytes, b64urlToBytes, bytesToB64, bytesToB64url } from '../../web/js/b64.js';
import { detectEnvelope, deleteText, histReqText, parseReaction, reactionText, cleanEmoji } from '../../web/js/envelopes.js';
import { historyChunks } from '../../web/js/history-sync.js';
import { adoptOffer, identityFromBlob, mintIdentity, openAdoptOffer, registrationBody, signRoomPost, suggestedHandle } from '../../web/js/identity.js';
import { cleanLabel, defaultLabel, initials, isPresenceName, mentions, presenceState } from '../../web/js/labels.js';
import { escapeHtml, renderMarkdown } from '../../web/js/markdown.js';
import { familyTotal, parsePrometheus } from '../../web/js/prometheus.js';
import { uuid4 } from '../../web/js/random.js';
import { Reactions } from '../../web/js/reactions.js';
import { buildFragment, decodeRoomKey, keyFingerprint, newRoomId, newRoomKey, parseFragment, roomIdFromPath, RoomKeyError } from '../../web/js/room-key.js';
import { backoffMs } from '../../web/js/room-socket.js';
import { RoomState } from '../../web/js/room-state.js';
import { open, seal } from '../../web/js/seal.js';
import { snippets } from '../../web/js/snippets.js';
import { rates, sparklinePath } from '../../web/js/sparkline.js';
import { transcriptText } from '../../web/js/transcript.js';

const nacl = createRequire(import.meta.url)('tweetnacl');

test('room key: 32 random bytes as 43 chars of unpadded base64url, round trip', () => {
  const bytes = new Uint8Array(32).map((_, i) => 250 - i);
  const k = newRoomKey(bytes);
  assert.equal(k.length, 43);
  assert.match(k, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(decodeRoomKey(k), bytes);
  assert.deepEqual(decodeRoomKey(`${k}=`), bytes, 'padding is accepted');
  assert.throws(() => decodeRoomKey(k.slice(0, 40)), RoomKeyError);
  assert.throws(() => decodeRoomKey(null), /Missing room key/);
  assert.throws(() => decodeRoomKey('!!!!'), /Invalid room key fragment/);
});

test('room ids: 10 chars from the unambiguous alphabet, path parsing', () => {
  const id = newRoomId(new Uint8Array([0, 31, 32, 255, 8, 9, 10, 11, 12, 13]));
  assert.equal(id, 'A9A9JKLMNP');
  assert.equal(roomIdFromPath('/room/ABCD'), 'ABCD');
  assert.equal(roomIdFromPath('/room/ab_c-D/'), 'ab_c-D');
  assert.equal(roomIdFromPath('/room/a/b'), null);
  assert.equal(roomIdFromPath('/room/'), null);
});

test('fragment: k, m (validated), signed and unknown pairs survive a rebuild', () => {
  const f = parseFragment('#k=abc&m=12345678-aaaa&signed=1&x=y');
  assert.equal(f.k, 'abc');
  assert.equal(f.m, '12345678-aaaa');
  assert.equal(f.signed, true);
  assert.equal(parseFragment('#k=abc&m=short').m, null);
  assert.equal(buildFragment(f.pairs), '#k=abc&signed=1&x=y');
  assert.equal(buildFragment(f.pairs, { m: 'msgid-0001' }), '#k=abc&m=msgid-0001&signed=1&x=y');
});

test('fingerprint: SHA-256 of the key, 16 upper-case hex digits in groups of 4', async () => {
  const fp = await keyFingerprint(new Uint8Array(32));
  // sha256(32 zero bytes) = 66687aadf862bd77…
  assert.equal(fp, '6668 7AAD F862 BD77');
});

test('seal/open: secretbox with standard padded base64, tampering is undecryptable', () => {
  const key = nacl.randomBytes(32);
  const sealed = seal(nacl, key, 'héllo ✓');
  assert.equal(sealed.nonce.length, 32);
  assert.match(sealed.ciphertext, /^[A-Za-z0-9+/]+=*$/);
  assert.equal(open(nacl, key, sealed.ciphertext, sealed.nonce), 'héllo ✓');
  const raw = b64ToBytes(sealed.ciphertext);
  raw[raw.length - 1] ^= 1;
  assert.equal(open(nacl, key, bytesToB64(raw), sealed.nonce), null);
  assert.equal(open(nacl, nacl.randomBytes(32), sealed.ciphertext, sealed.nonce), null);
  assert.equal(open(nacl, key, 'not base64!', sealed.nonce), null);
  // valid MAC over invalid UTF-8 is undecryptable too
  const nonce = nacl.randomBytes(24);
  const bad = nacl.secretbox(new Uint8Array([0xff, 0xfe]), nonce, key);
  assert.equal(open(nacl, key, bytesToB64(bad), bytesToB64(nonce)), null);
});

test('base64url decoder accepts both alphabets, with or without padding', () => {
  const bytes = new Uint8Array([251, 255, 191, 0, 1]);
  assert.deepEqual(b64urlToBytes(bytesToB64url(bytes)), bytes);
  assert.deepEqual(b64urlToBytes(bytesToB64(bytes)), bytes);
  assert.throws(() => b64urlToBytes('a'));
});

test('envelope detection follows §3.1 exactly', () => {
  assert.equal(detectEnvelope(reactionText('id-12345678', '👍', 'add')).marker, 'bot2bot_react_v1');
  assert.equal(detectEnvelope(deleteText('id-12345678', 5)).marker, 'bot2bot_delete_v1');
  assert.equal(detectEnvelope(histReqText('r1')).marker, 'bot2bot_hist_req_v1');
  assert.equal(detectEnvelope(' {"bot2bot_react_v1":true}'), null, 'leading space');
  assert.equal(detectEnvelope('{"bot2bot_react_v1":"true"}'), null, 'string marker');
  assert.equal(detectEnvelope('{"bot2bot_react_v1":1}'), null, 'numeric marker');
  assert.equal(detectEnvelope('[{"bot2bot_react_v1":true}]'), null, 'array');
  assert.equal(detectEnvelope('{"hello":true}'), null, 'no marker');
  assert.equal(detectEnvelope('{not json'), null);
  assert.equal(detectEnvelope('{"bot2bot_react_v1":true,"bot2bot_adopt_v1":true}').marker, 'bot2bot_adopt_v1', 'reference test order');
  assert.equal(parseReaction({ target_id: 'x', emoji: '👍', op: 'toggle' }), null);
  assert.deepEqual(JSON.parse(reactionText('t', 'e', 'remove')), { bot2bot_react_v1: true, target_id: 't', emoji: 'e', op: 'remove' });
  assert.equal(cleanEmoji('  🎉 '), '🎉');
  assert.equal(cleanEmoji('x'.repeat(25)), null);
});

test('reactions: idempotent set operations, preset order, union merge', () => {
  const r = new Reactions();
  assert.equal(r.apply('m', '🔥', 'a', 'add'), true);
  assert.equal(r.apply('m', '🔥', 'a', 'add'), false);
  r.apply('m', '👍', 'b', 'add');
  r.apply('m', 'zz', 'b', 'add');
  r.apply('m', 'aa', 'b', 'add');
  assert.deepEqual(r.list('m').map((x) => x.emoji), ['👍', '🔥', 'aa', 'zz']);
  assert.equal(r.apply('m', '🔥', 'b', 'remove'), false, 'only the actor removes its own');
  r.apply('m', '🔥', 'a', 'remove');
  assert.deepEqual(r.list('m').map((x) => x.emoji), ['👍', 'aa', 'zz']);
  assert.equal(r.apply('m', '👍', '', 'add'), false, 'empty actor has no effect');
  r.merge('m', { '👍': ['c'], '❤️': ['d'] });
  assert.deepEqual(r.toObject('m')['👍'], ['b', 'c']);
});

const ev = (seq, id, extra = {}) => ({ type: 'message', seq, id, sender: 'bob', sender_verified: false, ts: 1000 + seq, ...extra });

test('room state: dedup by id, insert by seq, envelopes applied and hidden', () => {
  const s = new RoomState({ me: 'me', now: () => 5000 });
  assert.equal(s.ingest(ev(2, 'id-b'), 'two').kind, 'message');
  assert.equal(s.ingest(ev(2, 'id-b'), 'two').kind, 'duplicate');
  const first = s.ingest(ev(1, 'id-a'), 'one');
  assert.equal(first.before, 'id-b', 'an older seq goes before the newer one');
  assert.deepEqual(s.order.map((r) => r.id), ['id-a', 'id-b']);
  const react = s.ingest(ev(3, 'id-c', { sender: 'carol' }), reactionText('id-a', '👍', 'add'));
  assert.equal(react.kind, 'react');
  assert.deepEqual(s.reactions.list('id-a')[0].actors, ['carol']);
  assert.equal(s.records.size, 2, 'the reaction is not a chat record');
  const del = s.ingest(ev(4, 'id-d'), deleteText('id-a', 1));
  assert.equal(del.kind, 'delete');
  assert.equal(s.records.has('id-a'), false);
  assert.deepEqual(s.reactions.list('id-a'), []);
  // a reaction to a dead target is dropped; a re-delivered deleted message stays hidden
  assert.equal(s.ingest(ev(5, 'id-e'), reactionText('id-a', '🔥', 'add')).kind, 'consumed');
  const again = new RoomState({ tombstones: s.tombstoneList() });
  assert.equal(again.ingest(ev(1, 'id-a'), 'one').kind, 'hidden');
  // undecryptable messages are records, marked
  const u = s.ingest(ev(6, 'id-f'), null);
  assert.equal(u.kind, 'message');
  assert.equal(u.record.undecryptable, true);
  // hist_req from ourselves is recognised
  assert.equal(s.ingest(ev(7, 'id-g', { sender: 'me' }), histReqText('r')).fromSelf, true);
});

test('room state: ttl expiry tombstones, reply_to kept', () => {
  let now = 1000;
  const s = new RoomState({ now: () => now });
  s.ingest(ev(1, 'id-a', { ttl_ms: 30000, ts: 1000, reply_to: 'id-zzzzzzzz' }), 'brief');
  assert.equal(s.records.get('id-a').reply_to, 'id-zzzzzzzz');
  now = 40000;
  assert.deepEqual(s.expire(), ['id-a']);
  assert.equal(s.tombstones.has('id-a'), true);
});

test('history: chunks within limits, merge inserts by seq and honours deletes', () => {
  const s = new RoomState({ now: () => 10 });
  for (let i = 1; i <= 40; i++) s.ingest(ev(i * 10, `id-${String(i).padStart(8, '0')}`), `message ${i}`);
  s.ingest(ev(999, 'id-react0'), reactionText('id-00000001', '👍', 'add'));
  const items = s.historyItems(0);
  assert.equal(items.length, 40);
  assert.deepEqual(items[0].reactions, { '👍': ['bob'] });
  const chunks = historyChunks('req', items, ['gone-id-1']).map((c) => JSON.parse(c));
  assert.equal(chunks.length, 3);
  assert.ok(chunks.every((c) => c.items.length <= 15 && c.bot2bot_hist_resp_v1 === true));
  assert.deepEqual(chunks[0].deleted, ['gone-id-1']);
  assert.equal(chunks[1].deleted, undefined);
  assert.deepEqual(chunks.map((c) => c.chunk), [0, 1, 2]);

  const late = new RoomState({ now: () => 10 });
  late.ingest(ev(405, 'id-new00001'), 'newer than history');
  const added = late.mergeHistory({ ...chunks[0], items: [...chunks[0].items, { seq: 1, id: 'env-00001', sender: 'x', ts: 1, text: histReqText('q') }] });
  assert.equal(added.length, 15, 'envelope texts in items are refused');
  assert.deepEqual(late.order.map((r) => r.id).slice(-1), ['id-new00001'], 'restored items go before newer ones');
  assert.equal(late.tombstones.has('gone-id-1'), true);
  assert.equal(late.mergeHistory(chunks[0]).length, 0, 'merging twice adds nothing');
  assert.deepEqual(historyChunks('r', [], []), []);
});

test('labels, mentions and presence', () => {
  assert.match(defaultLabel(new Uint8Array([0, 0, 0])), /^visitor-oak-2S$/);
  assert.match(defaultLabel(), /^visitor-[a-z]+-[0-9A-Z]{2}$/);
  assert.equal(cleanLabel('  @mallory ', 'old'), 'mallory', 'no unsigned @ labels');
  assert.equal(cleanLabel('   ', 'old'), 'old');
  assert.equal(cleanLabel('x'.repeat(60), 'old').length, 48);
  assert.equal(isPresenceName('has space'), false);
  assert.equal(mentions('hi @Alice-1, look', 'alice-1'), true);
  assert.equal(mentions('mail@alice-1', 'alice-1'), false);
  assert.equal(mentions('@alice-12', 'alice-1'), false);
  assert.equal(initials('visitor-oak-2S'), 'VO');
  assert.equal(initials('***'), '??');
  assert.equal(presenceState(1000), 'live');
  assert.equal(presenceState(60000), 'idle');
});

test('markdown escapes HTML and renders the light subset', () => {
  assert.equal(escapeHtml('<img src=x onerror=1>'), '&lt;img src=x onerror=1&gt;');
  const html = renderMarkdown('<b>hi</b> **bold** `a<b`\n\n- one\n- two\n\n```\n<x>\n```\nsee https://example.com/a?b=1&c=2.');
  assert.ok(!html.includes('<b>'));
  assert.ok(html.includes('<strong>bold</strong>'));
  assert.ok(html.includes('<code>a&lt;b</code>'));
  assert.ok(html.includes('<ul><li>one</li><li>two</li></ul>'));
  assert.ok(html.includes('<pre><code>&lt;x&gt;</code></pre>'));
  assert.ok(html.includes('href="https://example.com/a?b=1&amp;c=2"'));
  assert.ok(!renderMarkdown('javascript:alert(1)').includes('<a'));
  assert.ok(!renderMarkdown('"><script>').includes('<script'));
});

test('transcript export leaves out envelopes and deleted messages', () => {
  const s = new RoomState({ now: () => 0 });
  s.ingest(ev(1, 'id-a', { sender: '@alice', sender_verified: true, ts: Date.UTC(2026, 10, 25, 12) }), 'first line\nsecond');
  s.ingest(ev(2, 'id-b', { reply_to: 'id-a' }), 'an answer');
  s.ingest(ev(3, 'id-c'), 'to be deleted');
  s.ingest(ev(4, 'id-d'), deleteText('id-c'));
  s.ingest(ev(5, 'id-e'), reactionText('id-a', '👍', 'add'));
  s.ingest(ev(6, 'id-f'), null);
  const text = transcriptText(s.order, { roomId: 'ROOM1', exportedAt: 0, reactionsOf: (id) => s.reactions.list(id) });
  assert.ok(text.includes('[2026-11-25 12:00:00Z] @alice (verified):'));
  assert.ok(text.includes('  first line\n  second'));
  assert.ok(text.includes('> replying to @alice: first line second'));
  assert.ok(text.includes('reactions: 👍 1'));
  assert.ok(text.includes('[undecryptable]'));
  assert.ok(!text.includes('to be deleted'));
  assert.ok(!text.includes('bot2bot_'));
  assert.ok(text.includes('3 messages'));
});

test('identity: sign a room post (T4) and open an adopt offer', async () => {
  const seed = nacl.randomBytes(32);
  const boxSk = nacl.randomBytes(32);
  const blob = { handle: '@Helper-1', box_sk_b64u: bytesToB64url(boxSk), sign_seed_b64u: bytesToB64url(seed) };
  const identity = identityFromBlob(nacl, blob);
  assert.equal(identity.handle, 'helper-1');
  const fields = await signRoomPost(nacl, identity, 'ROOM1', 'Q1RYVA==', { now: 1700000000000 });
  assert.equal(fields.sender_handle, 'helper-1');
  assert.match(fields.sender_nonce, /^[A-Za-z0-9_-]{24}$/);
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update('Q1RYVA==').digest('hex');
  const text = `room-msg ROOM1 1700000000000 ${fields.sender_nonce} ${hash}`;
  assert.ok(nacl.sign.detached.verify(new TextEncoder().encode(text), b64ToBytes(fields.sender_sig), identity.sign.publicKey));

  const target = nacl.box.keyPair();
  const operator = nacl.box.keyPair();
  const nonce = nacl.randomBytes(24);
  const inner = JSON.stringify({ ...blob, handle: 'helper-1', adopt_id: 'ad-1' });
  const ct = nacl.box(new TextEncoder().encode(inner), nonce, target.publicKey, operator.secretKey);
  const body = { bot2bot_adopt_v1: true, target_name: 'visitor', sender_box_pub: bytesToB64url(operator.publicKey), nonce: bytesToB64url(nonce), ciphertext: bytesToB64url(ct), adopt_id: 'ad-1' };
  assert.equal(openAdoptOffer(nacl, body, target.secretKey).handle, 'helper-1');
  assert.equal(openAdoptOffer(nacl, body, nacl.box.keyPair().secretKey), null);
  assert.equal(openAdoptOffer(nacl, { ...body, adopt_id: 'other' }, target.secretKey), null);
});

test('snippets carry the room URL; admin helpers parse and draw', () => {
  const url = 'http://127.0.0.1:3000/room/ABCDEFGHJK#k=key';
  const list = snippets('http://127.0.0.1:3000', url, 'ABCDEFGHJK');
  assert.deepEqual(list.map((s) => s.id), ['python', 'cli', 'mcp', 'curl']);
  for (const s of list.slice(0, 3)) assert.ok(s.code.includes(url), s.id);
  assert.ok(list[3].code.includes('/api/rooms/ABCDEFGHJK/status'));
  assert.ok(!list[3].code.includes('#k='), 'curl talks to the API, never with the key');

  const samples = parsePrometheus('# HELP x\nbot2bot_rooms 3\nbot2bot_messages_posted_total{transport="http"} 5\nbot2bot_messages_posted_total{transport="ws"} 7\n');
  assert.equal(samples.get('bot2bot_rooms'), 3);
  assert.equal(familyTotal(samples, 'bot2bot_messages_posted_total'), 12);
  assert.equal(familyTotal(samples, 'missing'), undefined);
  assert.deepEqual(rates([{ t: 0, v: 0 }, { t: 1000, v: 10 }, { t: 2000, v: 4 }]), [10, 4]);
  assert.equal(sparklinePath([1, 1], 100, 20), 'M2.0 18.0 L98.0 18.0');
  assert.equal(sparklinePath([], 100, 20), '');
});

test('misc: uuid v4 shape, reconnect backoff is bounded', () => {
  assert.match(uuid4(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(backoffMs(0, 0), 400);
  assert.equal(backoffMs(50, 1), 21000);
});

test('identity: registration body (T1), suggested handles, an adopt offer round trip', () => {
  const id = mintIdentity(nacl, 'web-tester');
  assert.equal(mintIdentity(nacl, 'x'), null, 'handles are 2–32 chars');
  assert.equal(mintIdentity(nacl, '-bad'), null);
  const body = registrationBody(nacl, id, 1767225600000);
  assert.equal(body.register_ts, 1767225600000);
  assert.equal(body.box_pub.length, 44);
  const t1 = `register web-tester 1767225600000 ${body.box_pub} ${body.sign_pub}`;
  assert.ok(nacl.sign.detached.verify(new TextEncoder().encode(t1), b64ToBytes(body.register_sig), b64ToBytes(body.sign_pub)));
  assert.equal(suggestedHandle('visitor-oak-2S'), 'bot-visitor-oak');
  assert.equal(suggestedHandle('Helper Bot!'), 'bot-helperbot');

  const targetPage = nacl.box.keyPair();
  const operatorPage = nacl.box.keyPair();
  const text = adoptOffer(nacl, id, 'visitor-oak-2S', bytesToB64url(targetPage.publicKey), operatorPage, 'adopt-1');
  const env = detectEnvelope(text);
  assert.equal(env.marker, 'bot2bot_adopt_v1');
  assert.equal(env.body.target_name, 'visitor-oak-2S');
  const opened = openAdoptOffer(nacl, env.body, targetPage.secretKey);
  assert.equal(opened.handle, 'web-tester');
  assert.deepEqual(opened.seed, id.seed);
});
