// Shared pieces of the MCP suite: the real relay, `bot2bot mcp` behind the official MCP client,
// and a raw room participant that seals with tweetnacl (what a browser would send).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import nacl from 'tweetnacl';

export const BIN = resolve(process.env.BOT2BOT_BIN || 'build/bot2bot');

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

// `bot2bot serve` on a free loopback port; resolves once it prints its address.
export async function startRelay() {
  const dataDir = tempDir('b2b-mcp-relay-');
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const base = await new Promise((resolveBase, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${seen}`)), 10000);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = seen.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveBase(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`relay exited early (${code}): ${seen}`)));
  });
  return {
    base,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        process.kill(proc.pid, 'SIGTERM');
        const timer = setTimeout(() => proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Environment of one MCP server: its own HOME/XDG_CONFIG_HOME (so its own identity).
export function mcpEnv(home, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    ...extra,
  };
}

// `bot2bot mcp --base <base>` behind the official SDK client.
// `home` (optional) reuses a home directory across servers, e.g. to restart one; the caller
// then removes it.
export async function startMcp(base, { env = {}, args = [], home: givenHome } = {}) {
  const home = givenHome ?? tempDir('b2b-mcp-home-');
  const transport = new StdioClientTransport({
    command: BIN,
    args: ['mcp', '--base', base, ...args],
    env: mcpEnv(home, env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d.toString()));
  const client = new Client({ name: 'bot2bot-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    home,
    pid: transport.pid,
    stderr: () => stderr,
    // Calls a tool; returns {text, isError, structured}.
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args });
      return { text: r.content[0].text, isError: r.isError === true, structured: r.structuredContent };
    },
    async close() {
      await client.close();
      if (!givenHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

// A participant that speaks the room protocol directly over HTTP.
export class RawPeer {
  constructor(roomUrl, name) {
    const m = roomUrl.match(/^(https?:\/\/[^/]+)\/room\/([A-Za-z0-9_-]+)#k=([A-Za-z0-9_-]+)/);
    if (!m) throw new Error(`not a room URL: ${roomUrl}`);
    this.base = m[1];
    this.roomId = m[2];
    this.key = new Uint8Array(Buffer.from(m[3], 'base64url'));
    this.name = name;
  }

  async post(text) {
    const nonce = nacl.randomBytes(24);
    const box = nacl.secretbox(new TextEncoder().encode(text), nonce, this.key);
    const r = await fetch(`${this.base}/api/rooms/${this.roomId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sender: this.name,
        ciphertext: Buffer.from(box).toString('base64'),
        nonce: Buffer.from(nonce).toString('base64'),
      }),
    });
    if (!r.ok) throw new Error(`post failed: ${r.status} ${await r.text()}`);
    return r.json();
  }

  // Every buffered record, decrypted (envelopes included, unlike the MCP tools).
  async transcript() {
    const r = await fetch(`${this.base}/api/rooms/${this.roomId}/transcript?after=0&limit=500`);
    const body = await r.json();
    return body.messages.map((m) => {
      const plain = nacl.secretbox.open(
        new Uint8Array(Buffer.from(m.ciphertext, 'base64')),
        new Uint8Array(Buffer.from(m.nonce, 'base64')),
        this.key,
      );
      return { ...m, text: plain ? new TextDecoder().decode(plain) : null };
    });
  }
}

export const URL_RE = /https?:\/\/\S+\/room\/[A-Za-z0-9_-]+#k=[A-Za-z0-9_-]+/;
export const SENT_RE = /^sent as "([^"]+)"\. message_id=(\S+) seq=(\d+)/;

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

// A registered identity (IDENTITY.md §2): Ed25519 for signatures, X25519 for boxes.
export class TestIdentity {
  constructor(handle) {
    this.handle = handle;
    this.boxSk = nacl.randomBytes(32);
    this.signSeed = nacl.randomBytes(32);
    this.box = nacl.box.keyPair.fromSecretKey(this.boxSk);
    this.sign = nacl.sign.keyPair.fromSeed(this.signSeed);
  }

  signText(text) {
    return b64(nacl.sign.detached(new TextEncoder().encode(text), this.sign.secretKey));
  }

  async register(base) {
    const boxPub = b64(this.box.publicKey);
    const signPub = b64(this.sign.publicKey);
    const ts = Date.now();
    const r = await fetch(`${base}/api/identity/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        handle: this.handle, box_pub: boxPub, sign_pub: signPub, register_ts: ts,
        register_sig: this.signText(`register ${this.handle} ${ts} ${boxPub} ${signPub}`),
      }),
    });
    if (r.status !== 201) throw new Error(`register failed: ${r.status} ${await r.text()}`);
    return this;
  }

  // T4 fields for a room post of `ciphertext` (base64 string as sent).
  roomSignature(roomId, ciphertext) {
    const ts = Date.now();
    const nonce = b64url(nacl.randomBytes(18));
    return {
      sender_handle: this.handle, sender_ts: ts, sender_nonce: nonce,
      sender_sig: this.signText(`room-msg ${roomId} ${ts} ${nonce} ${sha256Hex(ciphertext)}`),
    };
  }
}

// A room participant posting signed messages as `identity`.
export class SignedPeer extends RawPeer {
  constructor(roomUrl, identity) {
    super(roomUrl, identity.handle);
    this.identity = identity;
  }

  async post(text, extra = {}) {
    const nonce = nacl.randomBytes(24);
    const ciphertext = b64(nacl.secretbox(new TextEncoder().encode(text), nonce, this.key));
    const r = await fetch(`${this.base}/api/rooms/${this.roomId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sender: this.name, ciphertext, nonce: b64(nonce),
        ...this.identity.roomSignature(this.roomId, ciphertext), ...extra,
      }),
    });
    if (!r.ok) throw new Error(`signed post failed: ${r.status} ${await r.text()}`);
    return r.json();
  }
}

// The presence list of a room as a joining SSE client sees it (`ready.participants`).
export async function presence(base, roomId) {
  const controller = new AbortController();
  const r = await fetch(`${base}/api/rooms/${roomId}/events`, { signal: controller.signal });
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of r.body) {
      buf += decoder.decode(chunk, { stream: true });
      for (const frame of buf.split('\n\n').slice(0, -1)) {
        const data = frame.split('\n').find((l) => l.startsWith('data:'));
        const ev = data ? JSON.parse(data.slice(5)) : null;
        if (ev?.type === 'ready') return ev.participants;
      }
    }
  } finally {
    controller.abort();
  }
  throw new Error('no ready event');
}

// CLIENT-PROTOCOL.md §3.6: the operator's adopt envelope handing `identity` to `targetName`,
// sealed to the target's presence box key.
export function adoptOffer(operator, targetName, targetBoxPubB64url, identity) {
  const adoptId = crypto.randomUUID();
  const inner = JSON.stringify({
    handle: identity.handle, box_sk_b64u: b64url(identity.boxSk),
    sign_seed_b64u: b64url(identity.signSeed), adopt_id: adoptId,
  });
  const nonce = nacl.randomBytes(24);
  const sealed = nacl.box(new TextEncoder().encode(inner), nonce,
    new Uint8Array(Buffer.from(targetBoxPubB64url, 'base64url')), operator.boxSk);
  return JSON.stringify({
    bot2bot_adopt_v1: true, target_name: targetName, sender_box_pub: b64url(operator.box.publicKey),
    nonce: b64url(nonce), ciphertext: b64url(sealed), adopt_id: adoptId,
  });
}
