import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-test-double.js'));

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, resetElectronTestDouble, Tray } from './electron-test-double.js';
import { startTrayApp } from '../../src-main/app/tray-app.js';
import type { TrayAgentHost } from '../../src-main/app/agent-host.js';
import { bridgeCallChannel } from '../../src-main/app/ipc/bridge-channels.js';
import type { PreferenceStore } from '../../src-main/app/preferences.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';

// The whole shell wired together on the Electron test double, driving the scripted agent host.

class ScriptedHostWithLifecycle extends ScriptedAgentHost implements TrayAgentHost {
  started = 0;
  stopped = 0;
  async start() {
    this.started += 1;
  }
  async stop() {
    this.stopped += 1;
  }
}

function memoryStore(): PreferenceStore {
  const data = new Map<string, unknown>();
  return { get: (key) => data.get(key) as never, set: (key, value) => void data.set(key, value) };
}

async function start(host: TrayAgentHost, hidden = false) {
  process.env['XDG_CONFIG_HOME'] = mkdtempSync(join(tmpdir(), 'tray-app-xdg-'));
  return startTrayApp({ host, assetsDir: '/app/assets', rendererIndex: '/app/out/renderer/index.html', preloadPath: '/app/out/preload/preload.cjs', hidden, preferences: memoryStore() });
}

beforeEach(resetElectronTestDouble);

describe('tray app', () => {
  it('starts the host, shows the tray for its state, opens the window, and serves the bridge to that window only', async () => {
    const host = new ScriptedHostWithLifecycle();
    await start(host);
    expect(host.started).toBe(1);
    expect(Tray.created[0]!.image).toBe('/app/assets/tray/running-24.png');
    const window = BrowserWindow.created[0]!;
    expect(window.options['webPreferences']).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(window.loaded?.file).toBe('/app/out/renderer/index.html');
    expect(window.shown).toBe(true);
    expect(await ipcMain.invokeAs(window.webContents, bridgeCallChannel('getSnapshot'), {})).toMatchObject({ ok: true });
    host.appendLog('t', 1);
    expect(window.webContents.sent.map((s) => s.channel)).toContain('tray-agent:event:taskLog');
  });

  it('closing the last window keeps the agent running in the tray', async () => {
    const host = new ScriptedHostWithLifecycle();
    await start(host);
    BrowserWindow.created[0]!.emit('closed');
    app.emit('window-all-closed');
    expect(app.quitCalled).toBe(0);
    expect(host.stopped).toBe(0);
    expect(Tray.created[0]!.destroyed).toBe(false);
  });

  it('started hidden (autostart) it stays in the tray; a second launch opens the window', async () => {
    await start(new ScriptedHostWithLifecycle(), true);
    expect(BrowserWindow.created).toHaveLength(0);
    app.emit('second-instance', {}, ['/opt/tray-agent', '--hidden']);
    expect(BrowserWindow.created).toHaveLength(0);
    app.emit('second-instance', {}, ['/opt/tray-agent', '--view=logs']);
    expect(BrowserWindow.created[0]!.loaded?.options).toEqual({ hash: '/logs' });
  });

  it('the menu follows every snapshot; Pause from the menu reaches the host', async () => {
    const host = new ScriptedHostWithLifecycle();
    const tray = await start(host, true);
    const before = Tray.created[0]!.menusSet;
    await tray.dispatch({ kind: 'pause', until: null });
    expect(host.calls.at(-1)).toEqual({ name: 'pause', args: { until: null } });
    expect(Tray.created[0]!.menusSet).toBeGreaterThan(before);
    expect(JSON.stringify(Tray.created[0]!.menu!.template)).toContain('"label":"Resume"');
  });

  it('Quit with a running task asks; Cancel keeps it; Stop aborts the task and quits', async () => {
    const host = new ScriptedHostWithLifecycle();
    const tray = await start(host, true);
    dialog.response = 2;
    await tray.dispatch({ kind: 'quit' });
    expect(dialog.asked).toHaveLength(1);
    expect(app.quitCalled).toBe(0);
    dialog.response = 1;
    await tray.dispatch({ kind: 'quit' });
    expect(host.calls.filter((c) => c.name === 'stopTask')).toEqual([{ name: 'stopTask', args: { taskId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' } }]);
    expect(host.stopped).toBe(1);
    expect(app.quitCalled).toBe(1);
    expect(Tray.created[0]!.destroyed).toBe(true);
  });

  it('Quit → finish the task first: drains, waits for the task to end, then quits', async () => {
    const host = new ScriptedHostWithLifecycle();
    const tray = await start(host, true);
    dialog.response = 0;
    const quitting = tray.dispatch({ kind: 'quit' });
    await new Promise((r) => setTimeout(r, 20));
    expect(host.calls.map((c) => c.name)).toContain('drain');
    expect(app.quitCalled).toBe(0);
    await host.handle('stopTask', { taskId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    await quitting;
    expect(app.quitCalled).toBe(1);
  });

  it('SIGTERM (logout, shutdown, kill): no question; running tasks are stopped within their grace, then it quits', async () => {
    const host = new ScriptedHostWithLifecycle();
    const before = new Set(process.listeners('SIGTERM'));
    await start(host, true);
    // Called directly: a real SIGTERM in the test worker would reach the runner's handlers too.
    const [sigterm] = process.listeners('SIGTERM').filter((l) => !before.has(l));
    expect(sigterm).toBeDefined();
    (sigterm as () => void)();
    await vi.waitFor(() => expect(app.quitCalled).toBe(1));
    expect(dialog.asked).toEqual([]);
    expect(host.calls.filter((c) => c.name === 'stopTask')).toEqual([{ name: 'stopTask', args: { taskId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' } }]);
    expect(host.stopped).toBe(1);
    // Quitting removed its signal handling.
    expect(process.listeners('SIGTERM').filter((l) => !before.has(l))).toEqual([]);
  });

  it('nothing running: Quit quits at once, without asking', async () => {
    const tray = await start(new ScriptedHostWithLifecycle({ empty: true }), true);
    await tray.dispatch({ kind: 'quit' });
    expect(dialog.asked).toEqual([]);
    expect(app.quitCalled).toBe(1);
  });

  it('Start on login from the menu goes to the host and ticks the item', async () => {
    const tray = await start(new ScriptedHostWithLifecycle(), true);
    await tray.dispatch({ kind: 'toggle-autostart' });
    expect(JSON.stringify(Tray.created[0]!.menu!.template)).toContain('"label":"Start on login","type":"checkbox","enabled":true,"checked":true');
  });

  it('without a configuration the window opens on the setup wizard', async () => {
    const tray = await start(new ScriptedHostWithLifecycle({ needsSetup: true }));
    expect(tray.snapshot()?.needsSetup).toBe(true);
    expect(BrowserWindow.created[0]!.loaded?.options).toEqual({ hash: '/setup' });
  });
});
