/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

// The API the dev server forwards to: `portico all` on its default address.
const api = process.env.PORTICO_API ?? "http://127.0.0.1:8080";

// The gateway checks the Origin of unsafe requests against its own URL; the
// dev server's origin differs, so the proxy presents the gateway's.
const proxy: ProxyOptions = {
  target: api,
  changeOrigin: true,
  configure(server) {
    server.on("proxyReq", (req) => {
      if (req.getHeader("origin")) req.setHeader("origin", new URL(api).origin);
    });
  },
};

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: { "/v1": proxy, "/oauth2": proxy, "/.well-known": proxy },
  },
  preview: {
    host: "127.0.0.1",
    port: 4173,
    proxy: { "/v1": proxy, "/oauth2": proxy, "/.well-known": proxy },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Content-hashed names only; no module preload polyfill (an inline
    // script would break the Content-Security-Policy).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        entryFileNames: "assets/[name]-[hash].js",
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
