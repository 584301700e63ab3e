// Starts ferry-local --demo on a free port with a fresh data folder and
// Chromium with a fresh profile, for the browser tests.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WORK = join(ROOT, "target/ferry-test");
export const SCREENSHOTS = join(WORK, "screenshots");

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? "/usr/bin/chromium";
/** Without the background-networking flags Chromium keeps calling home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

export interface Demo {
  base: string;
  /** The printed sign-in link (`…/#token=…`). */
  dashboard: string;
  operatorToken: string;
  /** ferry-local's data folder (its outbox holds the emails it sent). */
  data: string;
  process: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** ferry-local --demo, ready once it printed the dashboard link. */
export async function startDemo(name: string): Promise<Demo> {
  const binary = process.env.FERRY_LOCAL ?? join(ROOT, "target/debug/ferry-local");
  const port = await freePort();
  const data = join(WORK, `e2e-${name}-data`);
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  // ferry-local makes and prints its own operator token.
  const env: NodeJS.ProcessEnv = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
  delete env.FERRY_OPERATOR_TOKEN;
  const child = spawn(binary, ["--listen", `127.0.0.1:${port}`, "--data-dir", data, "--demo"], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const stop = () =>
    new Promise<void>((ok) => {
      if (child.exitCode !== null) return ok();
      child.once("exit", () => ok());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  const deadline = Date.now() + 60_000;
  while (!/Dashboard: (\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`ferry-local exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ferry-local printed no dashboard link within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const dashboard = /Dashboard: (\S+)/.exec(output)![1]!;
  const operatorToken = /Operator token: (\S+)/.exec(output)?.[1] ?? "";
  return { base: `http://127.0.0.1:${port}`, dashboard, operatorToken, data, process: child, log: () => output, stop };
}

/** Chromium (Debian's) with a fresh profile under target/. */
export async function startBrowser(name: string): Promise<BrowserContext> {
  const profile = join(WORK, `e2e-${name}-chromium`);
  rmSync(profile, { recursive: true, force: true });
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 860 },
    locale: "en-GB",
    timezoneId: "UTC",
  });
}

/** The sign-in links (`…/#signin=…`) emailed to `to`, oldest first, read from the outbox. */
export function signInLinks(demo: Demo, to: string): string[] {
  const outbox = join(demo.data, "outbox");
  let files: string[] = [];
  try {
    files = readdirSync(outbox).filter((f) => f.endsWith(".eml")).sort();
  } catch {
    return [];
  }
  const links: string[] = [];
  for (const file of files) {
    // Quoted-printable: soft line breaks out, `=3D` back to `=`.
    const mail = readFileSync(join(outbox, file), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    if (!mail.toLowerCase().includes(`to: ${to.toLowerCase()}`)) continue;
    const link = /(http\S*#signin=[A-Za-z0-9._-]+)/.exec(mail)?.[1];
    if (link) links.push(link);
  }
  return links;
}
