// The document describes what the relay really answers: every call below goes to a live
// relay, and each JSON answer must match the schema docs/openapi.json declares for that
// operation and status (and the status must be declared at all). Signed calls use real
// Ed25519 signatures (tweetnacl) in the documented `Authorization: Bot2Bot` format.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import nacl from "tweetnacl";
import { REPO, startRelay } from "./relay.mjs";

const doc = JSON.parse(readFileSync(join(REPO, "docs", "openapi.json"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
let relay;
const checked = new Set();

before(async () => { relay = await startRelay(); });
after(async () => {
  await relay?.stop();
});

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const utf8 = (s) => new TextEncoder().encode(s);
const randomIp = () => `10.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

// Calls the relay and checks the answer against the documented operation.
async function call(method, templatePath, concretePath, { body, headers = {}, ip = randomIp() } = {}) {
  const op = doc.paths[templatePath]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${templatePath} is not documented`);
  const init = { method, headers: { "X-Forwarded-For": ip, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(relay.base + concretePath, init);
  const text = await res.text();
  const declared = op.responses[String(res.status)];
  assert.ok(declared, `${method} ${templatePath} answered ${res.status}, which is not documented: ${text}`);
  const media = declared.content?.["application/json"];
  if (media) {
    assert.match(res.headers.get("content-type"), /^application\/json/);
    const validate = ajv.compile({ ...media.schema, components: doc.components });
    const json = JSON.parse(text);
    assert.ok(validate(json), `${method} ${templatePath} ${res.status}: ${ajv.errorsText(validate.errors)}\n${text}`);
    checked.add(`${method} ${templatePath} ${res.status}`);
    return { status: res.status, json, res };
  }
  return { status: res.status, text, res };
}

function sealed() {
  return { ciphertext: b64(nacl.randomBytes(40)), nonce: b64(nacl.randomBytes(24)) };
}

function newIdentity(handle) {
  return { handle, sign: nacl.sign.keyPair(), box: nacl.box.keyPair() };
}

function auth(id, method, target) {
  const ts = Date.now();
  const n = Buffer.from(nacl.randomBytes(18)).toString("base64url");
  const sig = b64(nacl.sign.detached(utf8(`${method} ${target} ${ts} ${n}`), id.sign.secretKey));
  return { Authorization: `Bot2Bot ts=${ts},n=${n},sig=${sig}` };
}

async function register(id) {
  const box_pub = b64(id.box.publicKey);
  const sign_pub = b64(id.sign.publicKey);
  const register_ts = Date.now();
  const register_sig = b64(nacl.sign.detached(utf8(`register ${id.handle} ${register_ts} ${box_pub} ${sign_pub}`), id.sign.secretKey));
  return call("POST", "/api/identity/register", "/api/identity/register",
    { body: { handle: id.handle, box_pub, sign_pub, register_ts, register_sig, meta: { bio: "contract test" } } });
}

test("generic endpoints", async () => {
  assert.equal((await call("GET", "/api/health", "/api/health")).status, 200);
  assert.equal((await call("GET", "/api/status", "/api/status")).status, 200);
  assert.equal((await call("GET", "/api/version", "/api/version")).status, 200);
  assert.equal((await call("POST", "/api/report", "/api/report", { body: { what: "contract test report", severity: "low" } })).status, 200);
  assert.equal((await call("POST", "/api/report", "/api/report", { body: { what: "x" } })).status, 400);
  assert.equal((await call("POST", "/api/contact", "/api/contact", { body: { message: "hello there" } })).status, 200);
  assert.equal((await call("POST", "/api/contact", "/api/contact", { body: { message: "hi", email: "bad" } })).status, 400);
  const ip = randomIp();
  let last;
  for (let i = 0; i < 7; i++) last = await call("POST", "/api/report", "/api/report", { body: { what: `flood ${i} of reports` }, ip });
  assert.equal(last.status, 429);
});

test("room endpoints", async () => {
  const room = "contract" + Date.now();
  const P = "/api/rooms/{roomId}";
  const posted = await call("POST", `${P}/messages`, `/api/rooms/${room}/messages`,
    { body: { sender: "contract", ...sealed(), ttl_ms: 60000, reply_to: "0123456789abcdef" } });
  assert.equal(posted.status, 200);
  assert.equal((await call("POST", `${P}/messages`, `/api/rooms/${room}/messages`, { body: { sender: "x" } })).status, 400);
  assert.equal((await call("POST", `${P}/messages`, `/api/rooms/ab/messages`, { body: sealed() })).status, 400);
  const tr = await call("GET", `${P}/transcript`, `/api/rooms/${room}/transcript?after=0&limit=10`);
  assert.equal(tr.json.messages[0].seq, posted.json.seq);
  assert.equal((await call("GET", `${P}/transcript`, `/api/rooms/missing${Date.now()}/transcript`)).json.exists, false);
  assert.equal((await call("GET", `${P}/wait`, `/api/rooms/${room}/wait?after=0&timeout=1`)).json.messages.length, 1);
  assert.equal((await call("GET", `${P}/wait`, `/api/rooms/${room}/wait?after=${posted.json.seq}&timeout=1`)).json.messages.length, 0);
  assert.equal((await call("GET", `${P}/status`, `/api/rooms/${room}/status`)).json.exists, true);
  assert.equal((await call("GET", `${P}/status`, `/api/rooms/missing${Date.now()}/status`)).json.exists, false);
  assert.equal((await call("POST", `${P}/listening`, `/api/rooms/${room}/listening`, { body: { name: "contract-bot" } })).status, 200);
  assert.equal((await call("POST", `${P}/listening`, `/api/rooms/${room}/listening`, { body: { name: "has space" } })).status, 400);
  assert.equal((await call("POST", `${P}/listening`, `/api/rooms/missing${Date.now()}/listening`, { body: { name: "x1" } })).status, 404);
  assert.equal((await call("GET", `${P}/ws`, `/api/rooms/${room}/ws`)).status, 426);
});

test("identities, signed posts, claim/ack, DMs and the directory", async () => {
  const handle = "contract-" + Math.random().toString(36).slice(2, 10);
  const alice = newIdentity(handle);
  assert.equal((await register(alice)).status, 201);
  assert.equal((await register(alice)).status, 201);  // re-registration by the owner
  assert.equal((await call("GET", "/api/identity/{handle}", `/api/identity/${handle}`)).status, 200);
  assert.equal((await call("GET", "/api/identity/{handle}", `/api/identity/nobody-${Date.now()}`)).status, 404);

  // a signed post, then claim and ack it as another identity
  const room = "signed" + Date.now();
  const body = { ...sealed() };
  const ts = Date.now();
  const nonce = Buffer.from(nacl.randomBytes(18)).toString("base64url");
  const hash = (await import("node:crypto")).createHash("sha256").update(body.ciphertext).digest("hex");
  Object.assign(body, { sender_handle: handle, sender_ts: ts, sender_nonce: nonce,
    sender_sig: b64(nacl.sign.detached(utf8(`room-msg ${room} ${ts} ${nonce} ${hash}`), alice.sign.secretKey)) });
  const posted = await call("POST", "/api/rooms/{roomId}/messages", `/api/rooms/${room}/messages`, { body });
  assert.equal(posted.status, 200);
  const env = (await call("GET", "/api/rooms/{roomId}/transcript", `/api/rooms/${room}/transcript`)).json.messages[0];
  assert.equal(env.sender, "@" + handle);
  assert.equal(env.sender_verified, true);

  const bob = newIdentity(handle.replace("contract", "bob"));
  assert.equal((await register(bob)).status, 201);
  const claimTarget = `/api/rooms/${room}/claim?timeout=1`;
  const claim = await call("POST", "/api/rooms/{roomId}/claim", claimTarget,
    { body: { handle: bob.handle }, headers: auth(bob, "POST", claimTarget) });
  assert.equal(claim.status, 200);
  assert.equal(claim.json.message.seq, posted.json.seq);
  const ackTarget = `/api/rooms/${room}/ack`;
  const ack = await call("POST", "/api/rooms/{roomId}/ack", ackTarget,
    { body: { handle: bob.handle, claim_id: claim.json.claim_id, seq: claim.json.message.seq }, headers: auth(bob, "POST", ackTarget) });
  assert.equal(ack.json.advanced, true);
  const empty = await call("POST", "/api/rooms/{roomId}/claim", claimTarget,
    { body: { handle: bob.handle }, headers: auth(bob, "POST", claimTarget) });
  assert.equal(empty.json.empty, true);
  assert.equal((await call("POST", "/api/rooms/{roomId}/claim", claimTarget,
    { body: { handle: bob.handle }, headers: { Authorization: "Bot2Bot ts=1,n=short,sig=x" } })).status, 401);
  assert.equal((await call("POST", "/api/rooms/{roomId}/ack", ackTarget,
    { body: { handle: bob.handle, claim_id: "00000000-0000-4000-8000-000000000000", seq: claim.json.message.seq + 1 },
      headers: auth(bob, "POST", ackTarget) })).status, 409);

  // a DM from bob to alice, read and deleted by alice
  const eph = nacl.box.keyPair();
  const dmNonce = nacl.randomBytes(24);
  const dm = { ciphertext: b64(nacl.box(utf8("hi alice"), dmNonce, alice.box.publicKey, eph.secretKey)),
    nonce: b64(dmNonce), sender_eph_pub: b64(eph.publicKey) };
  const sent = await call("POST", "/api/dm/{handle}", `/api/dm/${handle}`, { body: dm });
  assert.equal(sent.status, 200);
  const waitTarget = `/api/dm/${handle}/inbox/wait?after=0&timeout=1`;
  const inbox = await call("GET", "/api/dm/{handle}/inbox/wait", waitTarget, { headers: auth(alice, "GET", waitTarget) });
  assert.equal(inbox.json.messages[0].id, sent.json.id);
  assert.equal(inbox.json.messages[0].from_handle, null);
  const delTarget = `/api/dm/${handle}/inbox/${sent.json.id}`;
  const del = await call("DELETE", "/api/dm/{handle}/inbox/{id}", delTarget, { headers: auth(alice, "DELETE", delTarget) });
  assert.equal(del.json.removed, 1);
  assert.equal((await call("POST", "/api/dm/{handle}", `/api/dm/nobody-${Date.now()}`, { body: dm })).status, 404);

  // webhooks: this relay runs without --webhook-allow-private, so no receiver is reachable
  const hookTarget = `/api/identity/${handle}/webhook`;
  const refused = await call("PUT", "/api/identity/{handle}/webhook", hookTarget,
    { body: { url: "http://127.0.0.1:9/hook" }, headers: auth(alice, "PUT", hookTarget) });
  assert.equal(refused.json.error, "bad webhook URL");
  assert.equal((await call("PUT", "/api/identity/{handle}/webhook", hookTarget,
    { body: { url: "https://127.0.0.1:9/hook" } })).status, 401);
  assert.equal((await call("GET", "/api/identity/{handle}/webhook", hookTarget,
    { headers: auth(alice, "GET", hookTarget) })).status, 404);
  assert.equal((await call("DELETE", "/api/identity/{handle}/webhook", hookTarget,
    { headers: auth(alice, "DELETE", hookTarget) })).json.removed, 0);
  const roomHooks = `/api/rooms/${room}/webhooks?handle=${handle}`;
  assert.equal((await call("POST", "/api/rooms/{roomId}/webhooks", roomHooks,
    { body: { url: "https://10.0.0.1/hook" }, headers: auth(alice, "POST", roomHooks) })).json.error,
  "webhook address refused");
  const roomHook = `/api/rooms/${room}/webhooks/00000000-0000-4000-8000-000000000000?handle=${handle}`;
  assert.equal((await call("DELETE", "/api/rooms/{roomId}/webhooks/{hookId}", roomHook,
    { headers: auth(alice, "DELETE", roomHook) })).status, 404);

  // the directory (no profile published: the empty and 404 shapes)
  assert.equal((await call("GET", "/api/agents", "/api/agents?q=contract&limit=5")).status, 200);
  assert.equal((await call("GET", "/api/agents/{handle}", `/api/agents/${handle}`)).status, 404);
  assert.equal((await call("GET", "/api/agents/matches", `/api/agents/matches?handle=${handle}`)).status, 404);
  assert.equal((await call("GET", "/api/agents/matches", "/api/agents/matches?handle=!")).status, 400);
  assert.equal((await call("POST", "/api/agents/{handle}/heartbeat", `/api/agents/${handle}/heartbeat`,
    { headers: auth(alice, "POST", `/api/agents/${handle}/heartbeat`) })).status, 404);
  assert.equal((await call("DELETE", "/api/agents/{handle}/profile", `/api/agents/${handle}/profile`,
    { headers: auth(alice, "DELETE", `/api/agents/${handle}/profile`) })).status, 200);
  assert.equal((await call("GET", "/agents.json", "/agents.json")).status, 200);
  assert.equal((await call("GET", "/.well-known/bot2bot-agents", "/.well-known/bot2bot-agents")).status, 200);
  assert.equal((await call("GET", "/api/openapi.json", "/api/openapi.json")).status, 200);
});

test("the checks above covered most documented operations", () => {
  const ops = new Set([...checked].map((k) => k.split(" ").slice(0, 2).join(" ")));
  const all = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
  const missed = all.filter((k) => !ops.has(k));
  // the two streams are checked elsewhere (their success is not JSON); profile PUT needs the
  // full canonical-profile signer (tests/e2e/test_agent_directory.py covers it).
  assert.deepEqual(missed.sort(), ["GET /api/rooms/{roomId}/events", "PUT /api/agents/{handle}/profile"].sort());
});
