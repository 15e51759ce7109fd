// `bot2bot mcp` driven by the official MCP TypeScript client against the real relay
// (CLIENT-PROTOCOL.md §5: tools, exact text shapes, self filtering, claim exclusion, envelopes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

import { RawPeer, SENT_RE, URL_RE, startMcp, startRelay } from './harness.mjs';

const TOOLS = [
  'create_room', 'join_room', 'send_message', 'wait_for_messages', 'get_transcript',
  'room_status', 'claim_task', 'ack_task', 'next_task', 'register_identity', 'send_dm',
  'check_inbox', 'search_agents', 'publish_profile', 'add_reaction', 'remove_reaction',
];

let relay;
let alice; // MCP server A (creates the room)
let bob; // MCP server B (joins it)
let roomUrl;
let peer; // raw HTTP participant "carol"

before(async () => {
  relay = await startRelay();
  alice = await startMcp(relay.base, { env: { BOT2BOT_MCP_ROOM_NAME: 'alice-agent' } });
  bob = await startMcp(relay.base);
});

after(async () => {
  await alice?.close();
  await bob?.close();
  await relay?.stop();
});

describe('handshake and tool list', () => {
  test('negotiates the latest revision and describes the server', () => {
    assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25');
    const info = alice.client.getServerVersion();
    assert.equal(info.name, 'bot2bot-chat');
    assert.match(alice.client.getInstructions(), /wait_for_messages/);
    assert.ok(alice.client.getServerCapabilities().tools);
  });

  test('lists all sixteen tools, each with an object inputSchema and a description', async () => {
    const { tools } = await alice.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOLS].sort());
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.ok(t.description.length > 20, t.name);
      assert.ok(t.outputSchema, t.name);
    }
    const send = tools.find((t) => t.name === 'send_message');
    assert.deepEqual(send.inputSchema.required, ['text']);
  });
});

describe('rooms', () => {
  test('create_room returns a join URL and makes the room active', async () => {
    const r = await alice.call('create_room');
    assert.equal(r.isError, false);
    assert.match(r.text, /^Created room [A-Z2-9]{6}\./);
    roomUrl = r.text.match(URL_RE)[0];
    assert.equal(r.structured.url, roomUrl);
    assert.match(r.text, /\(active room set to [A-Z2-9]{6} — /);
    peer = new RawPeer(roomUrl, 'carol');
  });

  test('send_message posts under the label and reports id and seq', async () => {
    const r = await alice.call('send_message', { text: 'hello from alice' });
    const m = r.text.match(SENT_RE);
    assert.ok(m, r.text);
    assert.equal(m[1], 'alice-agent');
    assert.equal(r.structured.seq, Number(m[3]));
    const records = await peer.transcript();
    const mine = records.find((x) => x.id === m[2]);
    assert.equal(mine.text, 'hello from alice', 'the relay got ciphertext the room key opens');
    assert.equal(mine.sender, 'alice-agent');
    assert.ok(!records.some((x) => x.ciphertext.includes('hello')));
  });

  test('join_room remembers the room and summarises it', async () => {
    const r = await bob.call('join_room', { url: roomUrl, name: 'bob-agent' });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /^Joined room [A-Z2-9]{6} as "bob-agent"\./);
    assert.match(r.text, /last_seq: \d+/);
    assert.match(r.text, /\(active room set to /);
    assert.equal(r.structured.label, 'bob-agent');
  });

  test('wait_for_messages decrypts what others post and hides our own', async () => {
    const start = (await bob.call('room_status')).structured.last_seq;
    await peer.post('hi from carol');
    await bob.call('send_message', { text: 'bob speaking' });
    const r = await bob.call('wait_for_messages', { after_seq: start, timeout_seconds: 5 });
    assert.match(r.text, /^\[seq=\d+\] carol: hi from carol$/m);
    assert.doesNotMatch(r.text, /bob speaking/);
    const last = Number(r.text.match(/\(last_seq=(\d+) — pass this as next after_seq\)$/)[1]);
    assert.ok(last > start);
    assert.ok(!/id=/.test(r.text.split('\n')[0]), 'wait lines carry no message id');
    const withSelf = await bob.call('wait_for_messages', {
      after_seq: start, timeout_seconds: 1, include_self: true,
    });
    assert.match(withSelf.text, /\] bob-agent: bob speaking$/m);
  });

  test('an empty wait says so and keeps last_seq', async () => {
    const status = await alice.call('room_status');
    const last = status.structured.last_seq;
    const t0 = Date.now();
    const r = await alice.call('wait_for_messages', { after_seq: last, timeout_seconds: 1 });
    assert.ok(Date.now() - t0 >= 900);
    assert.equal(
      r.text,
      `(no new messages — timed out after 1s, latest server seq ${last})\n` +
        `(last_seq=${last} — pass this as next after_seq)`,
    );
  });

  test('waiting on a room nobody opened yet blocks for the timeout instead of returning', async () => {
    const fresh = roomUrl.replace(/\/room\/[A-Z2-9]+#/, '/room/FRESH7#');
    try {
      const t0 = Date.now();
      const r = await bob.call('wait_for_messages', { url: fresh, timeout_seconds: 2 });
      assert.ok(Date.now() - t0 >= 1500, `returned after ${Date.now() - t0} ms`);
      assert.match(r.text, /^\(no new messages — timed out after 2s/);
    } finally {
      await bob.call('join_room', { url: roomUrl, name: 'bob-agent' }); // back to the shared room
    }
  });

  test('get_transcript lists everything except envelopes', async () => {
    await peer.post(JSON.stringify({ bot2bot_react_v1: true, target_id: 'abcdefgh12', emoji: '👍', op: 'add' }));
    await peer.post('{"not_an_envelope": true}');
    const r = await alice.call('get_transcript', {});
    assert.match(r.text, /^\[seq=\d+\] alice-agent: hello from alice$/m);
    assert.match(r.text, /^\[seq=\d+\] carol: hi from carol$/m);
    assert.match(r.text, /^\[seq=\d+\] carol: \{"not_an_envelope": true\}$/m);
    assert.doesNotMatch(r.text, /bot2bot_react_v1/);
    const tail = r.text.match(/\(last_seq=(\d+); (\d+) of (\d+) returned\)$/);
    assert.ok(tail, r.text);
    assert.equal(Number(tail[2]) + 1, Number(tail[3]), 'one envelope hidden');
    assert.equal(r.structured.messages.length, Number(tail[2]));
  });

  test('room_status reports the room; a missing room is explained', async () => {
    const r = await alice.call('room_status', {});
    assert.match(r.text, /^Room [A-Z2-9]{6}\n  participants: \d+\n  recent_count: \d+\n  last_seq: \d+\n  age: \d+s\n  idle: \d+s/);
    assert.ok(r.structured.participants >= 2, 'both MCP servers hold a presence stream');
    const ghost = roomUrl.replace(/\/room\/[A-Z2-9]+#/, '/room/GHOST9#');
    const g = await alice.call('room_status', { url: ghost });
    assert.match(g.text, /^Room GHOST9 does not currently exist on the server/);
    assert.match(g.text, /\(active room set to GHOST9/);
    await alice.call('join_room', { url: roomUrl }); // back to the real room
  });
});

describe('reactions', () => {
  test('add_reaction and remove_reaction post react envelopes without an actor', async () => {
    const sent = await alice.call('send_message', { text: 'react to me' });
    const id = sent.structured.message_id;
    const r = await bob.call('add_reaction', { target_id: id, emoji: '👍' });
    assert.match(r.text, new RegExp(`^reaction added: target_id=${id} emoji=👍\\nsent as "bob-agent"\\. message_id=\\S+ seq=\\d+$`));
    const gone = await bob.call('remove_reaction', { target_id: id, emoji: ' 👍 ' });
    assert.match(gone.text, /^reaction removed: target_id=\S+ emoji=👍\n/);
    const envelopes = (await peer.transcript())
      .filter((x) => x.text?.startsWith('{"bot2bot_react_v1"'))
      .map((x) => ({ sender: x.sender, body: JSON.parse(x.text) }));
    const ours = envelopes.filter((e) => e.body.target_id === id);
    assert.deepEqual(ours.map((e) => e.body), [
      { bot2bot_react_v1: true, target_id: id, emoji: '👍', op: 'add' },
      { bot2bot_react_v1: true, target_id: id, emoji: '👍', op: 'remove' },
    ]);
    assert.ok(ours.every((e) => e.sender === 'bob-agent'));
    const shown = await alice.call('get_transcript', {});
    assert.doesNotMatch(shown.text, /bot2bot_react_v1/);
  });

  test('a malformed target is a tool error', async () => {
    const r = await bob.call('add_reaction', { target_id: 'x', emoji: '👍' });
    assert.equal(r.isError, true);
    assert.match(r.text, /^add_reaction failed: target_id/);
  });
});

describe('claim, ack and next_task', () => {
  test('claims skip our own messages, ack advances the cursor once', async () => {
    // Bob's cursor starts at the oldest buffered message; drain what is not his.
    const seen = [];
    for (let i = 0; i < 20; i++) {
      const r = await bob.call('claim_task', { timeout_seconds: 1 });
      if (r.structured.message === null) {
        assert.match(r.text, /^\(no new messages — blocked 1s as "bob-agent" via auth @mcp-[0-9a-f]{6}, cursor=\d+; call claim_task again to keep listening\)$/);
        break;
      }
      const line = r.text.match(/^\[seq=(\d+) id=(\S+)\] ([^:]+): (.*)\n\(claim_id=(\S+) seq=(\d+) — /);
      assert.ok(line, r.text);
      assert.notEqual(line[3], 'bob-agent', 'own label excluded');
      seen.push(line[4]);
      const ack = await bob.call('ack_task', { claim_id: line[5], seq: Number(line[6]) });
      assert.equal(ack.text, `ack ok — cursor advanced to seq=${line[6]}`);
      const again = await bob.call('ack_task', { claim_id: line[5], seq: Number(line[6]) });
      assert.match(again.text, new RegExp(`^ack ok — no change \\(cursor already at ${line[6]}; `));
    }
    assert.deepEqual(seen.filter((t) => !t.startsWith('{"not')), [
      'hello from alice', 'hi from carol', 'react to me',
    ]);
    assert.ok(!seen.some((t) => t.includes('bot2bot_react_v1')), 'envelopes are skipped and acked');
  });

  test('next_task returns the next foreign message already acknowledged', async () => {
    await bob.call('send_message', { text: 'bob again (excluded)' });
    await peer.post(JSON.stringify({ bot2bot_react_v1: true, target_id: 'abcdefgh12', emoji: '🔥', op: 'add' }));
    await peer.post('task for whoever');
    const r = await bob.call('next_task', { timeout_seconds: 5 });
    assert.match(r.text, /^\[seq=\d+ id=\S+\] carol: task for whoever\n\(listening in-room as "bob-agent" via auth @mcp-[0-9a-f]{6}; /);
    assert.equal(r.structured.acked, true);
    const empty = await bob.call('next_task', { timeout_seconds: 1 });
    assert.match(empty.text, /^\(no new messages — blocked 1s as "bob-agent"/);
  });

  test('a stale ack is a tool error with the relay status', async () => {
    const r = await bob.call('ack_task', { claim_id: '00000000-0000-4000-8000-000000000000', seq: 1 });
    assert.equal(r.isError, false, 'seq <= cursor is an idempotent no-op');
    const big = await bob.call('ack_task', { claim_id: '00000000-0000-4000-8000-000000000000', seq: 9007199254740000 });
    assert.equal(big.isError, true);
    assert.match(big.text, /^ack failed: 409 /);
  });
});

describe('identities, DMs and the directory', () => {
  let aliceHandle;
  let bobHandle;

  test('register_identity reports the registered handle', async () => {
    const a = await alice.call('register_identity', {});
    assert.match(a.text, /^identity @mcp-[0-9a-f]{6} is registered on http:\/\/127\.0\.0\.1:\d+/);
    aliceHandle = a.structured.handle;
    const r = await fetch(`${relay.base}/api/identity/${aliceHandle}`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).sign_pub, a.structured.sign_pub);
    bobHandle = (await bob.call('register_identity', {})).structured.handle;
    const other = await alice.call('register_identity', { handle: 'someone-else' });
    assert.equal(other.isError, true);
    assert.match(other.text, /^register_identity failed: this server already has the identity/);
  });

  test('send_dm and check_inbox carry an end-to-end-encrypted, verified message', async () => {
    const sent = await alice.call('send_dm', { to: `@${bobHandle}`, text: 'psst, bob' });
    assert.match(sent.text, new RegExp(`^dm sent to @${bobHandle}\\. id=\\S+ seq=\\d+$`));
    const inbox = await bob.call('check_inbox', { timeout_seconds: 5 });
    assert.match(inbox.text, new RegExp(`^\\[seq=\\d+ id=\\S+\\] from @${aliceHandle} ✓: psst, bob$`, 'm'));
    assert.equal(inbox.structured.messages[0].from_verified, true);
    const again = await bob.call('check_inbox', { timeout_seconds: 1 });
    assert.match(again.text, /^\(inbox empty — waited 1s\)/, 'the session cursor moved on');
    const acked = await bob.call('check_inbox', { after_seq: 0, ack: true });
    assert.match(acked.text, /\(1 deleted from the relay\)/);
    const empty = await bob.call('check_inbox', { after_seq: 0, timeout_seconds: 1 });
    assert.equal(empty.structured.messages.length, 0);
  });

  test('publish_profile then search_agents finds it', async () => {
    const p = await alice.call('publish_profile', {
      display_name: 'Alice Agent', summary: 'Tests the MCP server.',
      framework: 'claude-code', capabilities: ['mcp-testing'], topics: ['qa'],
    });
    assert.equal(p.isError, false, p.text);
    assert.match(p.text, new RegExp(`^profile published for @${aliceHandle}`));
    const s = await bob.call('search_agents', { capability: 'mcp-testing' });
    assert.match(s.text, new RegExp(`^@${aliceHandle} — Alice Agent \\[claude-code\\]: Tests the MCP server\\.`, 'm'));
    assert.equal(s.structured.agents[0].handle, aliceHandle);
    const none = await bob.call('search_agents', { q: 'no-such-agent-anywhere' });
    assert.equal(none.text, '(no agents found)');
  });
});

describe('errors', () => {
  test('a bad room URL is a tool error, not a protocol error', async () => {
    const r = await alice.call('send_message', { url: 'http://127.0.0.1:1/nope', text: 'x' });
    assert.equal(r.isError, true);
    assert.match(r.text, /^send failed: bad room URL/);
    const key = await alice.call('wait_for_messages', { url: `${relay.base}/room/ABCDEF#k=short` });
    assert.match(key.text, /^wait failed: bad room key/);
  });

  test('a relay outside the allowlist is refused', async () => {
    const r = await alice.call('room_status', { url: 'http://example.com/room/ABCDEF#k=' + 'A'.repeat(43) });
    assert.equal(r.isError, true);
    assert.match(r.text, /^status failed: relay http:\/\/example\.com(:80)? is not allowed/);
  });

  test('an unknown tool is a JSON-RPC error', async () => {
    await assert.rejects(alice.client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
      assert.equal(e.code, -32602);
      assert.match(e.message, /Unknown tool: no_such_tool/);
      return true;
    });
  });

  test('presence is kept in the eight most recently used rooms only', async () => {
    const many = await startMcp(relay.base);
    try {
      const urls = [];
      for (let i = 0; i < 9; i++) urls.push((await many.call('create_room')).structured.url);
      const participants = async (url) =>
        (await many.call('room_status', { url })).structured.participants;
      const deadline = Date.now() + 5000;
      while ((await participants(urls[0])) !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await participants(urls[0]), 0, 'the oldest room was set aside');
      assert.equal(await participants(urls[8]), 1);
      await many.call('join_room', { url: urls[0] });
      const back = Date.now() + 5000;
      while ((await participants(urls[0])) !== 1 && Date.now() < back) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await participants(urls[0]), 1, 'using it again restores presence');
    } finally {
      await many.close();
    }
  });

  test('a fresh server without a room asks for a url', async () => {
    const fresh = await startMcp(relay.base);
    try {
      const r = await fresh.call('wait_for_messages', {});
      assert.equal(r.isError, true);
      assert.match(r.text, /^wait failed: no room given/);
    } finally {
      await fresh.close();
    }
  });
});
