import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type InlineConfig } from 'vite';
import electronViteConfig from '../../electron.vite.config.js';

/**
 * Builds the production renderer (the `renderer` section of electron.vite.config.ts) into a
 * temp folder, so browser tests and benchmarks run what ships, from the current sources.
 */
export async function buildRenderer(outDir: string = mkdtempSync(join(tmpdir(), 'tray-agent-renderer-'))): Promise<string> {
  const renderer = (electronViteConfig as { renderer: InlineConfig }).renderer;
  await build({ ...renderer, configFile: false, logLevel: 'warn', build: { ...renderer.build, outDir, emptyOutDir: true } });
  return outDir;
}
