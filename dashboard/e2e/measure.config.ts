// The dashboard's benchmark (first-screen.measure.ts), run by
// `npm run bench:first-screen`; not part of `npm run e2e`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.measure.ts"],
    environment: "node",
    testTimeout: 300_000,
    hookTimeout: 90_000,
  },
});
