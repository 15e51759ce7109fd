// The relay's route table (`bot2bot serve --print-routes`, the table the router dispatches
// through) and docs/openapi.json describe the same API operations, in both directions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, printRoutes, startRelay } from "./relay.mjs";

const doc = JSON.parse(readFileSync(join(REPO, "docs", "openapi.json"), "utf8"));
const routes = printRoutes();
const key = (method, path) => `${method.toUpperCase()} ${path}`;

test("the route table is printed as JSON with api and page routes", () => {
  assert.ok(Array.isArray(routes) && routes.length > 30);
  for (const r of routes) {
    assert.match(r.method, /^(GET|POST|PUT|DELETE)$/);
    assert.match(r.path, /^\//);
    assert.ok(["api", "page"].includes(r.surface));
  }
  const keys = routes.map((r) => key(r.method, r.path));
  assert.equal(new Set(keys).size, keys.length, "duplicate routes");
});

test("every api route is documented and every documented operation is a route", () => {
  const served = new Set(routes.filter((r) => r.surface === "api").map((r) => key(r.method, r.path)));
  const documented = new Set();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) documented.add(key(method, path));
  }
  const undocumented = [...served].filter((k) => !documented.has(k));
  const phantom = [...documented].filter((k) => !served.has(k));
  assert.deepEqual(undocumented, [], "routes missing from docs/openapi.json");
  assert.deepEqual(phantom, [], "documented operations the relay does not serve");
});

test("no page route hides under a documented path", () => {
  for (const r of routes.filter((x) => x.surface === "page")) {
    assert.ok(!doc.paths[r.path]?.[r.method.toLowerCase()], key(r.method, r.path));
  }
});

test("every documented GET answers something other than 404 on a live relay", async () => {
  const relay = await startRelay();
  try {
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!item.get) continue;
      const concrete = path.replace("{roomId}", "abcdEFGH").replace("{handle}", "nobody-here");
      const url = relay.base + concrete + (path === "/api/agents/matches" ? "?handle=nobody-here" : "");
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch((e) => e);
      if (path.endsWith("/events")) {
        assert.equal(res.status, 200, path);
        await res.body.cancel();
        continue;
      }
      if (path.endsWith("/wait")) continue;  // long-polls; covered by the e2e suites
      const status = res.status;
      const expected404 = path.includes("{handle}") || path === "/api/agents/matches";  // unknown handle
      if (!expected404) assert.notEqual(status, 404, `${path} -> ${status}`);
      await res.arrayBuffer();
    }
  } finally {
    await relay.stop();
  }
});
