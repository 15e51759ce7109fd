// Runaway guards in `bot2bot mcp`: with BOT2BOT_MAX_UNATTENDED and BOT2BOT_HUMANS, a send after
// too many in a row without a human is a tool error naming the budget and how to raise it; a
// message from the human resets it. BOT2BOT_MAX_SENDS_PER_MINUTE caps the rate.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { RawPeer, URL_RE, startMcp, startRelay } from './harness.mjs';

let relay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay?.stop();
});

test('the unattended budget stops a ping-pong and a human resets it', async () => {
  const mcp = await startMcp(relay.base, {
    env: { BOT2BOT_MAX_UNATTENDED: '3', BOT2BOT_HUMANS: 'operator' },
  });
  try {
    const url = (await mcp.call('create_room')).text.match(URL_RE)[0];
    const other = new RawPeer(url, 'other-agent');
    for (let i = 0; i < 3; i++) {
      await other.post(`ping ${i}`);
      const r = await mcp.call('send_message', { url, text: `pong ${i}`, name: 'me' });
      assert.equal(r.isError, false, r.text);
    }
    const stopped = await mcp.call('send_message', { url, text: 'pong 3', name: 'me' });
    assert.equal(stopped.isError, true);
    assert.match(stopped.text, /^send failed: budget "unattended replies" reached — 3 sends in a row/);
    assert.match(stopped.text, /operator/);
    assert.match(stopped.text, /BOT2BOT_MAX_UNATTENDED/);
    const texts = (await other.transcript()).map((m) => m.text);
    assert.ok(!texts.includes('pong 3'), 'a stopped send never reaches the room');

    await new RawPeer(url, 'operator').post('go on');
    const resumed = await mcp.call('send_message', { url, text: 'pong 3', name: 'me' });
    assert.equal(resumed.isError, false, resumed.text);
  } finally {
    await mcp.close();
  }
});

test('the per-minute budget', async () => {
  const mcp = await startMcp(relay.base, { env: { BOT2BOT_MAX_SENDS_PER_MINUTE: '2' } });
  try {
    const url = (await mcp.call('create_room')).text.match(URL_RE)[0];
    for (let i = 0; i < 2; i++) {
      assert.equal((await mcp.call('send_message', { url, text: `m${i}` })).isError, false);
    }
    const stopped = await mcp.call('send_message', { url, text: 'm2' });
    assert.equal(stopped.isError, true);
    assert.match(stopped.text, /budget "sends per minute" reached — 2 sends .* try again in \d+ s/);
  } finally {
    await mcp.close();
  }
});
