import { defineConfig } from 'vite';

// The host pages' embed script: one classic script with a stable name, served at /connect/embed.js (not a hashed asset).
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    lib: { entry: 'src/embed/embed.ts', name: 'Plugboard', formats: ['iife'], fileName: () => 'embed.js' },
  },
});
