import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by Plugboard at /console (and the same index.html at /connect/<token>), so every asset URL is absolute under /console/.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: {
    alias: { '@rjsf/validator-ajv8': fileURLToPath(new URL('./src/forms/no-compiled-validator.ts', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // The strict CSP allows no inline script, so the preload polyfill must not be inlined either.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/v1': process.env.PLUGBOARD_URL ?? 'http://127.0.0.1:3000' },
  },
});
