// Starts the real `bot2bot serve` on a free loopback port for the OpenAPI suites and stops it
// by PID. BOT2BOT_BIN names the binary (default build/bot2bot, relative to the repo root).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..", "..");
export const BIN = process.env.BOT2BOT_BIN || join(REPO, "build", "bot2bot");

export async function startRelay(flags = []) {
  const dataDir = mkdtempSync(join(tmpdir(), "bot2bot-openapi-"));
  const proc = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, ...flags], {
    stdio: ["ignore", "pipe", "pipe"],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BOT2BOT_") && k !== "PUBLIC_BASE_URL")),
  });
  let out = "";
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${out}`)), 10000);
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /Bot2Bot\.chat listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    proc.on("exit", (code) => reject(new Error(`relay exited with ${code}:\n${out}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        process.kill(proc.pid, "SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// The relay's route table, from `bot2bot serve --print-routes`.
export function printRoutes() {
  return JSON.parse(execFileSync(BIN, ["serve", "--print-routes"], { encoding: "utf8" }));
}
