// `bot2bot mcp` with signed participants: the ✓ of verified senders, the signed retry in
// signed-only rooms (CLIENT-PROTOCOL.md §5.2) and adoption (§3.6: opt-in, signed offers only).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  RawPeer, SignedPeer, TestIdentity, URL_RE, adoptOffer, presence, startMcp, startRelay,
} from './harness.mjs';

const rand = () => Math.random().toString(36).slice(2, 8);

let relay;
let operator; // a registered human operator posting signed messages
before(async () => {
  relay = await startRelay();
  operator = await new TestIdentity(`op-${rand()}`).register(relay.base);
});
after(async () => {
  await relay?.stop();
});

async function newRoom(mcp) {
  const created = await mcp.call('create_room');
  return created.text.match(URL_RE)[0];
}

async function until(what, check, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('claims mark verified senders with ✓', async () => {
  const mcp = await startMcp(relay.base);
  try {
    const url = await newRoom(mcp);
    await new SignedPeer(url, operator).post('signed task');
    await new RawPeer(url, `@${operator.handle}`).post('spoofed label');
    const first = await mcp.call('claim_task', { timeout_seconds: 5 });
    assert.match(first.text, new RegExp(`^\\[seq=\\d+ id=\\S+\\] @${operator.handle} ✓: signed task\\n`));
    assert.equal(first.structured.message.sender_verified, true);
    await mcp.call('ack_task', { claim_id: first.structured.claim_id, seq: first.structured.message.seq });
    const second = await mcp.call('claim_task', { timeout_seconds: 5 });
    assert.match(second.text, new RegExp(`^\\[seq=\\d+ id=\\S+\\] @${operator.handle}: spoofed label\\n`),
      'an unsigned "@" label gets no ✓');
  } finally {
    await mcp.close();
  }
});

test('in a signed-only room send_message retries once, signed by the auth identity', async () => {
  const mcp = await startMcp(relay.base, { env: { BOT2BOT_MCP_ROOM_NAME: 'anon-label' } });
  try {
    const url = await newRoom(mcp);
    await new SignedPeer(url, operator).post('locking the room', { signed_only: true });
    const sent = await mcp.call('send_message', { text: 'still heard' });
    assert.equal(sent.isError, false, sent.text);
    assert.match(sent.text, /^sent as "anon-label"\. message_id=/);
    const auth = (await mcp.call('register_identity')).structured.handle;
    const record = (await new RawPeer(url, 'x').transcript()).find((m) => m.text === 'still heard');
    assert.equal(record.sender, `@${auth}`);
    assert.equal(record.sender_verified, true);
    // The relay stamped "@<auth>": claims still never return our own posts.
    const empty = await mcp.call('next_task', { timeout_seconds: 1 });
    assert.match(empty.text, /^\[seq=\d+ id=\S+\] @op-\S+ ✓: locking the room\n/);
    const none = await mcp.call('next_task', { timeout_seconds: 1 });
    assert.match(none.text, /^\(no new messages — blocked 1s as "anon-label"/);
  } finally {
    await mcp.close();
  }
});

test('adoption needs --accept-adoptions and a signed offer, then the label is @handle', async () => {
  const willing = await startMcp(relay.base, {
    env: { BOT2BOT_MCP_ROOM_NAME: 'willing-bot' }, args: ['--accept-adoptions'],
  });
  const unwilling = await startMcp(relay.base, { env: { BOT2BOT_MCP_ROOM_NAME: 'unwilling-bot' } });
  try {
    const url = await newRoom(willing);
    await unwilling.call('join_room', { url });
    const roomId = url.match(/\/room\/([^#]+)/)[1];
    const present = await until('both presences', async () => {
      const list = await presence(relay.base, roomId);
      const w = list.find((p) => p.name === 'willing-bot');
      const u = list.find((p) => p.name === 'unwilling-bot');
      return w?.box_pub && u?.box_pub ? { w, u } : null;
    });
    const gift = await new TestIdentity(`adopted-${rand()}`).register(relay.base);
    const gift2 = await new TestIdentity(`adopted-${rand()}`).register(relay.base);
    const signed = new SignedPeer(url, operator);
    // Unsigned offer: ignored even by the willing server.
    await new RawPeer(url, 'operator-page').post(adoptOffer(operator, 'willing-bot', present.w.box_pub, gift));
    // Signed offer to the server that did not opt in: ignored.
    await signed.post(adoptOffer(operator, 'unwilling-bot', present.u.box_pub, gift2));
    await new Promise((r) => setTimeout(r, 1000));
    assert.match((await willing.call('send_message', { text: 'before' })).text, /^sent as "willing-bot"/);
    assert.match((await unwilling.call('send_message', { text: 'no thanks' })).text, /^sent as "unwilling-bot"/);

    await signed.post(adoptOffer(operator, 'willing-bot', present.w.box_pub, gift));
    const joined = await until('the adoption', async () => {
      const r = await willing.call('join_room', { url });
      return r.structured.label === `@${gift.handle}` ? r : null;
    });
    assert.match(joined.text, new RegExp(`^Joined room \\S+ as "@${gift.handle}"\\.`));
    const sent = await willing.call('send_message', { text: 'after' });
    assert.match(sent.text, new RegExp(`^sent as "@${gift.handle}"\\.`));
    const record = (await new RawPeer(url, 'x').transcript()).find((m) => m.text === 'after');
    assert.equal(record.sender, `@${gift.handle}`);
    assert.equal(record.sender_verified, true, 'posts are signed with the adopted identity');
    await until('presence under the new label', async () =>
      (await presence(relay.base, roomId)).some((p) => p.name === `@${gift.handle}`));
    const dir = join(willing.home, '.config', 'bot2bot');
    assert.ok(readdirSync(dir).some((f) => /^mcp_room_identity-[0-9a-f]{12}\.json$/.test(f)));
    assert.ok(!readdirSync(join(unwilling.home, '.config', 'bot2bot')).some((f) => f.startsWith('mcp_room_identity-')));
    // Offers are protocol messages: never shown.
    const seen = await unwilling.call('get_transcript', {});
    assert.doesNotMatch(seen.text, /bot2bot_adopt_v1/);
  } finally {
    await willing.close();
    await unwilling.close();
  }
});
