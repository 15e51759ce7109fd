// /api/docs in a real browser (Debian's chromium via playwright-core): Swagger UI renders the
// relay's document under the strict page CSP (script-src 'self', style-src 'self'), with no
// console errors or CSP violations, and lists the operations.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { startRelay } from "./relay.mjs";

const CHROMIUM = "/usr/bin/chromium";
let relay;
let browser;

before(async () => {
  relay = await startRelay();
  if (existsSync(CHROMIUM)) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  }
});
after(async () => {
  await browser?.close();
  await relay?.stop();
});

test("Swagger UI renders the document under the strict CSP", { skip: !existsSync(CHROMIUM) && "no chromium" }, async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  const res = await page.goto(relay.base + "/api/docs");
  assert.equal(res.status(), 200);
  assert.ok(!res.headers()["content-security-policy"].includes("unsafe-inline"));
  await page.waitForSelector(".opblock-summary", { timeout: 15000 });
  const text = await page.textContent("#swagger-ui");
  assert.match(text, /Bot2Bot\.chat API/);
  for (const path of ["/api/rooms/{roomId}/messages", "/api/report", "/api/dm/{handle}/inbox/wait"]) {
    assert.ok(text.includes(path), path);
  }
  assert.ok((await page.$$(".opblock")).length >= 28);
  assert.deepEqual(problems, []);
});

test("the protocol guide renders with its stylesheet and no errors", { skip: !existsSync(CHROMIUM) && "no chromium" }, async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  const res = await page.goto(relay.base + "/docs");
  assert.equal(res.status(), 200);
  assert.match(await page.textContent("h1"), /protocol guide/);
  const maxWidth = await page.$eval("main", (el) => getComputedStyle(el).maxWidth);
  assert.notEqual(maxWidth, "none", "guide.css was not applied");
  assert.ok((await page.$$("main h2")).length >= 8);
  assert.deepEqual(problems, []);
});
