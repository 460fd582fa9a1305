// Electron entry: the tray app, or `tray-agent --cli <command>` headless. Kept thin: the agent is
// the agent host (src-main/control); the CLI is the same bundle plain Node runs (out/main/cli.js).
import { app } from 'electron';
import { join } from 'node:path';
import { createTrayAgentHost } from './agent-host.js';
import { createAutostart } from './autostart.js';
import { openPreferenceStore } from './preferences.js';
import { assetsDirectory, startTrayApp } from './tray-app.js';

const cliIndex = process.argv.indexOf('--cli');

async function runHeadless(): Promise<void> {
  // The CLI bundle built beside this one, loaded only in --cli mode (no tray, no window).
  const cliBundle = new URL('./cli.js', import.meta.url).href;
  const { runCli } = (await import(cliBundle)) as { runCli(argv: readonly string[]): Promise<number> };
  app.exit(await runCli(process.argv.slice(cliIndex + 1)));
}

async function runTray(): Promise<void> {
  // A second launch hands its arguments to the running tray (app 'second-instance') and leaves.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  const preferences = await openPreferenceStore();
  const autostart = createAutostart({ platform: process.platform, env: process.env, execPath: process.execPath, app });
  await startTrayApp({
    host: createTrayAgentHost({ preferences, autostart, env: process.env }),
    preferences,
    assetsDir: assetsDirectory(),
    rendererIndex: join(import.meta.dirname, '../renderer/index.html'),
    preloadPath: join(import.meta.dirname, '../preload/preload.cjs'),
    hidden: process.argv.includes('--hidden'),
  });
}

void (cliIndex >= 0 ? runHeadless() : runTray());
