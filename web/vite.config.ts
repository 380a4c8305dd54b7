import { defineConfig } from 'vite';

// The portal is served by the gateway at /portal (src/Meridian.Gateway/Portal/PortalEndpoints.cs), which serves
// dist/ from the gateway's output folder. `npm run dev` proxies the APIs to a gateway on :8080 (`./meridian serve`).
export default defineConfig({
  base: '/portal/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle: the whole portal is a few tens of KB, so a single request beats code splitting on loopback.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/admin': 'http://127.0.0.1:8080',
      '/v1': 'http://127.0.0.1:8080',
    },
  },
});
