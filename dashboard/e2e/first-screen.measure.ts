// Benchmark: how fast the first screen is interactive from ferry-local
// (issue 7: "first screen interactive in under a second"). Not a test: it
// prints figures for docs/BENCHMARKS.md.
//
//   cd dashboard && npm run --silent bench:first-screen
//
// Starts `ferry-local --demo` (FERRY_LOCAL, default target/debug/ferry-local)
// and Debian's Chromium, signs in once, then opens Home RUNS times, each in
// a fresh browser context (empty cache: every byte of the page, script and
// style comes from ferry-local) with the token already stored, and reads the
// browser's own clock, from the start of the navigation:
// - shell: Home's heading and menu are on screen and take clicks;
// - numbers: the first counters from /api/v1/overview are shown.

import { chromium } from "playwright-core";
import { afterAll, beforeAll, it } from "vitest";
import { CHROMIUM, CHROMIUM_ARGS, startDemo, type Demo } from "./ferry.ts";

const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 30);
let demo: Demo;

beforeAll(async () => {
  demo = await startDemo("first-screen");
});
afterAll(async () => {
  await demo?.stop();
});

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

it(`opens Home ${RUNS} times from an empty cache`, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const token = new URL(demo.dashboard).hash.replace(/^#token=/, "");
  const shell: number[] = [];
  const numbers: number[] = [];
  const bytes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    await context.addInitScript((t) => {
      localStorage.setItem("ferry-token", t);
      // Note, in the page itself, when each moment first shows: a reading
      // taken through the driver afterwards would add its round trip.
      const seen: Record<string, number> = {};
      (window as unknown as { ferrySeen: Record<string, number> }).ferrySeen = seen;
      const look = () => {
        const heading = document.querySelector("h1");
        if (seen.shell === undefined && heading?.textContent === "Home" && document.querySelector("nav a")) seen.shell = performance.now();
        if (seen.numbers === undefined && document.querySelector('[data-testid="orders-today"]')) seen.numbers = performance.now();
        if (seen.numbers === undefined || seen.shell === undefined) requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    }, token);
    const page = await context.newPage();
    let received = 0;
    page.on("response", async (r) => {
      const length = Number(r.headers()["content-length"] ?? 0);
      received += length;
    });
    await page.goto(`${demo.base}/#/`);
    await page.getByTestId("orders-today").waitFor();
    const seen = await page.evaluate(() => (window as unknown as { ferrySeen: Record<string, number> }).ferrySeen);
    shell.push(seen.shell ?? NaN);
    numbers.push(seen.numbers ?? NaN);
    bytes.push(received);
    await context.close();
  }
  await browser.close();
  const row = (name: string, values: number[]) =>
    `| ${name} | ${quantile(values, 0.5).toFixed(0)} ms | ${quantile(values, 0.9).toFixed(0)} ms | ${quantile(values, 0.99).toFixed(0)} ms | ${Math.max(...values).toFixed(0)} ms |`;
  console.log(`\nHome from an empty cache, ${RUNS} loads (browser clock from navigation start):\n`);
  console.log("| moment | p50 | p90 | p99 | max |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(row("shell interactive (heading and menu)", shell));
  console.log(row("numbers shown (/api/v1/overview answered)", numbers));
  console.log(`\nbytes over the wire per load (content-length sum), median: ${quantile(bytes, 0.5)}`);
});
