import { defineConfig } from 'vite';

// The map is built into web/dist and served by the service itself: no CDN at run time.
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
