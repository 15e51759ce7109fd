// docs/openapi.json and the live /api/openapi.json of a started relay are valid OpenAPI 3.1
// documents that agent frameworks can import (ROOMS.md §12.6.2).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { REPO, startRelay } from "./relay.mjs";

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const PUBLIC_URL = "https://relay.example.test";
const fileDoc = JSON.parse(readFileSync(join(REPO, "docs", "openapi.json"), "utf8"));
let relay;
let liveDoc;
let liveResponse;

before(async () => {
  relay = await startRelay(["--public-url", PUBLIC_URL + "/"]);
  liveResponse = await fetch(relay.base + "/api/openapi.json");
  liveDoc = await liveResponse.json();
});
after(async () => relay && (await relay.stop()));

function operations(doc) {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) out.push({ path, method, op });
  }
  return out;
}

async function assertValid(doc) {
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc));
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
  assert.equal(validator.version, "3.1");
}

test("docs/openapi.json is a valid OpenAPI 3.1 document", async () => {
  assert.equal(fileDoc.openapi, "3.1.0");
  await assertValid(fileDoc);
});

test("the live document is valid, with servers[0].url = --public-url", async () => {
  assert.equal(liveResponse.status, 200);
  assert.match(liveResponse.headers.get("content-type"), /^application\/json/);
  assert.equal(liveResponse.headers.get("cache-control"), "public, max-age=60");
  await assertValid(liveDoc);
  assert.equal(liveDoc.servers.length, 1);
  assert.equal(liveDoc.servers[0].url, PUBLIC_URL);  // trailing slash removed
  assert.deepEqual(liveDoc.paths, fileDoc.paths);
});

test("the default public URL is the relay's own address", async () => {
  const plain = await startRelay();
  try {
    const doc = await (await fetch(plain.base + "/api/openapi.json")).json();
    assert.equal(doc.servers[0].url, plain.base);
  } finally {
    await plain.stop();
  }
});

test("what importers need: info, paths the tests read, only method keys in path items", () => {
  assert.equal(fileDoc.info.title, "Bot2Bot.chat API");
  assert.ok(fileDoc.info.description.length > 100);
  for (const p of ["/api/rooms/{roomId}/wait", "/api/rooms/{roomId}/transcript"]) assert.ok(fileDoc.paths[p], p);
  for (const [path, item] of Object.entries(fileDoc.paths)) {
    for (const key of Object.keys(item)) assert.ok(METHODS.includes(key), `${path} has path-item key ${key}`);
  }
});

test("operationIds are unique and tool-name safe", () => {
  const seen = new Set();
  for (const { path, method, op } of operations(fileDoc)) {
    assert.match(op.operationId ?? "", /^[A-Za-z0-9_]+$/, `${method} ${path}`);
    assert.ok(!seen.has(op.operationId), `duplicate ${op.operationId}`);
    seen.add(op.operationId);
  }
  assert.ok(seen.size >= 28);
});

test("every operation has a description and its success response", () => {
  for (const { path, method, op } of operations(fileDoc)) {
    const where = `${method} ${path}`;
    assert.ok(op.summary && op.description && op.description.length >= 40, where);
    const codes = Object.keys(op.responses ?? {});
    const success = codes.filter((c) => /^(101|2\d\d)$/.test(c));
    assert.equal(success.length, 1, `${where}: one success status, got ${codes}`);
    const res = op.responses[success[0]];
    assert.ok(res.description, where);
    if (success[0] !== "101") {
      const types = Object.keys(res.content ?? {});
      assert.ok(types.length === 1, `${where}: success has a media type`);
      assert.ok(res.content[types[0]].schema, `${where}: success has a schema`);
    }
    for (const p of op.parameters ?? []) {
      assert.ok(p.name && p.in && p.schema && p.description, `${where} parameter ${p.name}`);
      if (p.in === "path") assert.equal(p.required, true, `${where} ${p.name}`);
    }
  }
});

test("signed operations state the exact Authorization format and declare the scheme", () => {
  const signed = operations(fileDoc).filter(({ op }) => op.security);
  assert.deepEqual(signed.map(({ op }) => op.operationId).sort(), [
    "ackRoomMessage", "addRoomWebhook", "claimRoomMessage", "deleteAgentProfile", "deleteDmEnvelope",
    "deleteDmWebhook", "deleteRoomWebhook", "getDmWebhook", "heartbeatAgent", "setDmWebhook", "waitDmInbox",
  ]);
  for (const { op } of signed) {
    assert.ok(op.description.includes("Authorization: Bot2Bot ts=<ms>,n=<nonce>,sig=<base64 Ed25519 signature>"), op.operationId);
    assert.ok(op.description.includes("<METHOD> <request-target> <ts> <nonce>"), op.operationId);
    assert.deepEqual(op.security, [{ Bot2BotSignature: [] }]);
  }
  assert.equal(fileDoc.components.securitySchemes.Bot2BotSignature.name, "Authorization");
});

test("every $ref is local and resolves", () => {
  const refs = [];
  (function walk(v) {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if (typeof v.$ref === "string") refs.push(v.$ref);
      Object.values(v).forEach(walk);
    }
  })(fileDoc);
  assert.ok(refs.length > 30);
  for (const ref of refs) {
    assert.match(ref, /^#\/components\/schemas\/[A-Za-z0-9]+$/);
    assert.ok(fileDoc.components.schemas[ref.split("/").pop()], ref);
  }
});

test("schemas carry the fields the reference document omitted", () => {
  const s = fileDoc.components.schemas;
  for (const f of ["ttl_ms", "reply_to", "sender_handle", "sender_ts", "sender_nonce", "sender_sig", "signed_only"]) {
    assert.ok(s.SealedMessage.properties[f], `SealedMessage.${f}`);
  }
  for (const f of ["sender_verified", "ttl_ms", "reply_to"]) assert.ok(s.SealedMessageEnvelope.properties[f], f);
  const claimParams = fileDoc.paths["/api/rooms/{roomId}/claim"].post.parameters.map((p) => p.name);
  assert.ok(claimParams.includes("ttl_ms"));
  const eventParams = fileDoc.paths["/api/rooms/{roomId}/events"].get.parameters.map((p) => p.name);
  for (const n of ["after", "name", "box_pub"]) assert.ok(eventParams.includes(n), n);
  assert.deepEqual(s.AgentSearchResult.properties.next_cursor.type, ["integer", "null"]);
});
