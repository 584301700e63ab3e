// Vite builds the dashboard into dist/, which ferry-local and the
// dashboard-api Lambda serve (see docs/DASHBOARD.md). `npm run dev` serves
// it with hot reload and sends /api to a ferry-local on FERRY_URL.
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One small script and one stylesheet: nothing to wait for.
    modulePreload: false,
    chunkSizeWarningLimit: 120,
  },
  server: {
    proxy: { "/api": process.env.FERRY_URL ?? "http://127.0.0.1:8080" },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
