// wait_for_messages without after_seq continues from a cursor the server keeps on disk per room
// and label: a call returns everything since the previous call, with the count — even when the
// MCP server was stopped in between (the message arrived while no server ran).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RawPeer, URL_RE, startMcp, startRelay, tempDir } from './harness.mjs';

let relay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

test('messages that arrive while the MCP server is stopped are returned after its restart', async () => {
  const home = tempDir('b2b-mcp-cursor-');
  try {
    let mcp = await startMcp(relay.base, { home });
    const url = (await mcp.call('create_room')).text.match(URL_RE)[0];
    const peer = new RawPeer(url, 'carol');
    await peer.post('before the first call');

    const first = await mcp.call('wait_for_messages', { url, name: 'agent', timeout_seconds: 2 });
    assert.equal(first.isError, false, first.text);
    assert.match(first.text, /^\(1 new since your previous call\)$/m);
    assert.match(first.text, /\] carol: before the first call$/m);
    assert.equal(first.structured.count, 1);
    await mcp.close(); // the host quits; nobody is listening now

    await peer.post('while you were away 1');
    await peer.post('while you were away 2');

    mcp = await startMcp(relay.base, { home });
    const again = await mcp.call('wait_for_messages', { url, name: 'agent', timeout_seconds: 2 });
    assert.match(again.text, /^\(2 new since your previous call\)$/m);
    assert.match(again.text, /\] carol: while you were away 1$/m);
    assert.match(again.text, /\] carol: while you were away 2$/m);
    assert.doesNotMatch(again.text, /before the first call/);
    assert.deepEqual(again.structured.messages.map((m) => m.text),
      ['while you were away 1', 'while you were away 2']);

    const empty = await mcp.call('wait_for_messages', { url, name: 'agent', timeout_seconds: 1 });
    assert.match(empty.text, /^\(0 new since your previous call\)$/m);
    assert.match(empty.text, /no new messages — timed out/);

    // An explicit after_seq still works as in the reference (and is not counted).
    const explicit = await mcp.call('wait_for_messages', {
      url, name: 'agent', after_seq: 0, timeout_seconds: 1,
    });
    assert.doesNotMatch(explicit.text, /since your previous call/);
    assert.match(explicit.text, /before the first call/);
    await mcp.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
