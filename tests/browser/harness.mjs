// Shared by the browser suites: starts the real relay on a loopback port, launches Debian's
// chromium through playwright-core, and records what every page logs and sends.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.BOT2BOT_BIN || path.join(REPO, 'build/bot2bot');
export const ARTIFACTS = path.join(REPO, 'build/test-artifacts/browser');

export function tempDataDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'b2b-browser-'));
}

// Starts `bot2bot serve`; resolves once it prints its listening line.
export function startRelay({ dataDir = tempDataDir(), port = 0, args = [] } = {}) {
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir,
    '--log-level', 'warn', '--threads', '2', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`relay did not start within 15 s: ${stderr}`));
    }, 15000);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /Bot2Bot\.chat listening on (http:\/\/[\d.]+:(\d+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ base: m[1], port: Number(m[2]), dataDir, proc, stop: () => stopProcess(proc) });
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}: ${stderr}`));
    });
  });
}

export function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
}

// Records console errors, page errors and every request (URL, headers, body, WebSocket
// frames sent) of a page, for the "no console errors" and "key never sent" checks.
export function watch(page, log) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') log.errors.push({ at: Date.now(), text: msg.text(), url: page.url() });
  });
  page.on('pageerror', (err) => log.errors.push({ at: Date.now(), text: `pageerror: ${err.message}`, url: page.url() }));
  page.on('request', (req) => {
    log.requests.push({ url: req.url(), headers: JSON.stringify(req.headers()), body: req.postData() || '' });
  });
  page.on('websocket', (ws) => {
    log.requests.push({ url: ws.url(), headers: '', body: '' });
    ws.on('framesent', (f) => log.requests.push({ url: ws.url(), headers: '', body: String(f.payload) }));
  });
}

export function newLog() {
  return { errors: [], requests: [] };
}

export function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

// Screenshot at a viewport plus the horizontal-overflow measurement.
export async function screenshotAt(page, name, width, height) {
  await page.setViewportSize({ width, height });
  await page.waitForTimeout(150);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: artifactPath(`${name}-${width}x${height}.png`), fullPage: true });
  return overflow;
}

// Polls `fn` until it returns a truthy value or the deadline passes.
export async function eventually(fn, { timeoutMs = 15000, stepMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
