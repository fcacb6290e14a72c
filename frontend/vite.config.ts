/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Django serves dist/index.html for the SPA routes and dist/assets/* under /assets/
// (apps/api/spa.py). In development `npm run dev` proxies /api to the Django app on 8025.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    proxy: { "/api": process.env.QT_API_URL ?? "http://127.0.0.1:8025" },
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.{ts,tsx}"],
    setupFiles: ["tests/setup.ts"],
    // a loaded 2-core CI machine: a page's lazy chunk alone can take seconds to import
    testTimeout: 30_000,
  },
});
