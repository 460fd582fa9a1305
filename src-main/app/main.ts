// Electron entry: the tray app, or `tray-agent --cli <command>` headless. Kept thin: everything
// that is not Electron lives in the engine, control and cli layers.
import { app, BrowserWindow, Menu, Tray, ipcMain, screen } from 'electron';
import { join } from 'node:path';
import { runCli } from '../cli/main.js';
import { trayIconPath } from './tray-icons.js';
import { isBridgeCallName, type AgentSnapshot } from '../../src-shared/bridge.js';

const cliIndex = process.argv.indexOf('--cli');

async function runHeadless(): Promise<void> {
  const code = await runCli(process.argv.slice(cliIndex + 1));
  app.exit(code);
}

function assetsDir(): string {
  return app.isPackaged ? join(process.resourcesPath, 'assets') : join(app.getAppPath(), 'assets');
}

async function runTray(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  // Placeholder until the tray issue wires the agent host (src-main/control).
  const snapshot = { state: 'idle' as AgentSnapshot['state'] };
  const maxScale = Math.max(...screen.getAllDisplays().map((d) => d.scaleFactor));
  const tray = new Tray(trayIconPath(assetsDir(), snapshot.state, process.platform, maxScale));
  let window: BrowserWindow | null = null;
  const openWindow = (): void => {
    if (window) return window.show();
    window = new BrowserWindow({
      width: 900,
      height: 640,
      webPreferences: {
        preload: join(import.meta.dirname, '../preload/preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
      },
    });
    window.on('closed', () => (window = null));
    void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  };
  // Linux AppIndicator ignores clicks: every action must be in the menu.
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open Tray Agent', click: openWindow },
      { type: 'separator' },
      { label: 'Quit', click: () => app.quit() },
    ]),
  );
  ipcMain.handle('bridge:call', (event, name: unknown) => {
    if (!window || event.sender !== window.webContents) throw new Error('bridge call from an unknown window');
    if (!isBridgeCallName(name)) throw new Error(`unknown bridge call "${String(name)}"`);
    return snapshot;
  });
  app.on('second-instance', openWindow);
  app.on('window-all-closed', () => {
    /* stay in the tray */
  });
}

void (cliIndex >= 0 ? runHeadless() : runTray());
