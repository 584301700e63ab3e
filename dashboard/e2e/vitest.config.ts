// The browser tests: ferry-local --demo driven by Debian's Chromium through
// playwright-core. Run by `npm run e2e` (scripts/test.sh runs it after
// building target/debug/ferry-local).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
