import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

// One build, four outputs: the Electron main bundle and the plain-Node CLI entry (both ESM),
// a CommonJS preload (sandboxed renderers cannot load an ESM preload), and the renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // What every daemon loads is bundled in (one module graph instead of ~300 files: ~2 MB less
      // resident in an idle daemon); what loads only on demand (dockerode, the k8s client, ws,
      // systeminformation, React for the dashboard's page) stays external in node_modules.
      externalizeDeps: { exclude: ['zod', 'execa', 'commander', 'jose', 'node-cron', 'semver', 'shell-quote', 'proper-lockfile'] },
      rollupOptions: {
        input: {
          main: resolve(import.meta.dirname, 'src-main/app/main.ts'),
          cli: resolve(import.meta.dirname, 'src-main/cli/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { preload: resolve(import.meta.dirname, 'src-main/app/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src-renderer'),
    // Relative asset URLs: the same build loads from file:// (Electron) and from the dashboard.
    base: './',
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      minify: true,
      sourcemap: false,
      reportCompressedSize: true,
      rollupOptions: { input: resolve(import.meta.dirname, 'src-renderer/index.html') },
    },
  },
});
