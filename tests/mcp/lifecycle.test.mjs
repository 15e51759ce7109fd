// `bot2bot mcp` at the JSON-RPC level, without the SDK: revision negotiation, framing errors,
// notifications, and a prompt clean exit when the host closes stdin (even mid long-poll).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';

import { BIN, mcpEnv, startRelay, tempDir } from './harness.mjs';

let relay;
const running = new Set(); // sessions a failed test left open
before(async () => {
  relay = await startRelay();
});
after(async () => {
  for (const proc of running) proc.kill('SIGKILL');
  await relay?.stop();
});

// A raw session: send(obj|string), next() -> the next parsed stdout line, end() -> exit info.
function rawSession() {
  const home = tempDir('b2b-mcp-raw-');
  const proc = spawn(BIN, ['mcp', '--base', relay.base], {
    env: mcpEnv(home),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.stderr.resume();
  const lines = [];
  const waiting = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return {
    send(msg) {
      proc.stdin.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n');
    },
    next(timeoutMs = 10000) {
      if (lines.length) return Promise.resolve(JSON.parse(lines.shift()));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply')), timeoutMs);
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        });
      });
    },
    async end() {
      const t0 = Date.now();
      proc.stdin.end();
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(killer);
      running.delete(proc);
      rmSync(home, { recursive: true, force: true });
      return { ...r, ms: Date.now() - t0 };
    },
  };
}

const init = (id, protocolVersion) => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

test('an older revision the server supports is echoed, with the older tool shape', async () => {
  const s = rawSession();
  s.send(init(1, '2024-11-05'));
  const r = await s.next();
  assert.equal(r.result.protocolVersion, '2024-11-05');
  assert.equal(r.result.serverInfo.name, 'bot2bot-chat');
  s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  s.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const list = await s.next();
  assert.equal(list.id, 2, 'the notification got no reply');
  assert.equal(list.result.tools.length, 16);
  assert.ok(list.result.tools.every((t) => t.outputSchema === undefined && t.inputSchema));
  s.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'create_room', arguments: {} } });
  const created = await s.next();
  assert.equal(created.result.structuredContent, undefined);
  assert.match(created.result.content[0].text, /^Created room /);
  const end = await s.end();
  assert.equal(end.code, 0);
});

test('an unknown revision gets the latest one; ping answers', async () => {
  const s = rawSession();
  s.send(init('a', '1999-01-01'));
  assert.equal((await s.next()).result.protocolVersion, '2025-11-25');
  s.send({ jsonrpc: '2.0', id: 'p', method: 'ping' });
  assert.deepEqual(await s.next(), { jsonrpc: '2.0', id: 'p', result: {} });
  assert.equal((await s.end()).code, 0);
});

test('framing errors use the standard JSON-RPC codes', async () => {
  const s = rawSession();
  s.send('{not json');
  assert.equal((await s.next()).error.code, -32700);
  s.send({ jsonrpc: '1.0', id: 1, method: 'ping' });
  const wrongVersion = await s.next();
  assert.equal(wrongVersion.error.code, -32600);
  assert.equal(wrongVersion.id, 1);
  s.send([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
  assert.equal((await s.next()).error.code, -32600);
  s.send({ jsonrpc: '2.0', id: 3, method: 'resources/list' });
  const unknown = await s.next();
  assert.equal(unknown.error.code, -32601);
  assert.equal(unknown.id, 3);
  s.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { arguments: {} } });
  assert.equal((await s.next()).error.code, -32602);
  assert.equal((await s.end()).code, 0);
});

test('a cancelled call gets no late answer', async () => {
  const s = rawSession();
  s.send(init(1, '2025-11-25'));
  await s.next();
  s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'create_room', arguments: {} } });
  assert.equal((await s.next()).id, 2);
  s.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'wait_for_messages', arguments: { timeout_seconds: 1 } } });
  s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'host timeout' } });
  s.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'wait_for_messages', arguments: { timeout_seconds: 1 } } });
  const answered = await s.next();
  assert.equal(answered.id, 4, 'the uncancelled twin is answered');
  await new Promise((r) => setTimeout(r, 500));
  s.send({ jsonrpc: '2.0', id: 5, method: 'ping' });
  assert.deepEqual(await s.next(), { jsonrpc: '2.0', id: 5, result: {} });
  assert.equal((await s.end()).code, 0);
});

test('closing stdin ends the process promptly with 0, even during a long-poll', async () => {
  const s = rawSession();
  s.send(init(1, '2025-11-25'));
  assert.equal((await s.next()).id, 1);
  s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'create_room', arguments: {} } });
  const created = await s.next();
  assert.equal(created.id, 2, JSON.stringify(created));
  // Parks at the relay for up to 60 s; meanwhile the server still answers other requests.
  s.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'wait_for_messages', arguments: { timeout_seconds: 60 } } });
  s.send({ jsonrpc: '2.0', id: 4, method: 'ping' });
  assert.deepEqual(await s.next(), { jsonrpc: '2.0', id: 4, result: {} });
  const end = await s.end();
  assert.equal(end.code, 0);
  assert.equal(end.signal, null);
  assert.ok(end.ms < 3000, `exited after ${end.ms} ms`);
});
