import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-test-double.js'));

import { mkdtempSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, FakeWebContents, resetElectronTestDouble, safeStorage, session } from './electron-test-double.js';
import { hardenSession, hardenWebContents, isAllowedExternalUrl, mainWindowOptions, rendererContentSecurityPolicy } from '../../src-main/app/window.js';
import { autostartDesktopEntry, createAutostart, desktopExecArg } from '../../src-main/app/autostart.js';
import { createSecretStore } from '../../src-main/app/secret-store.js';
import { agentHostPreferences, preferencesSchema, readPreferences, type PreferenceStore } from '../../src-main/app/preferences.js';

beforeEach(resetElectronTestDouble);

function mapStore(): PreferenceStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { data, get: (key) => data.get(key) as never, set: (key, value) => void data.set(key, value) };
}

describe('window', () => {
  it('isolates the page: context isolation, sandbox, no Node, no webviews, the preload given', () => {
    const prefs = mainWindowOptions('/app/out/preload/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({ preload: '/app/out/preload/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
  });

  it('blocks navigation away, webviews and new windows; opens only https links of the web app, outside', () => {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    hardenWebContents(contents as never, { isOurPage: (url) => url.startsWith('file:///app/out/renderer/index.html'), webAppUrl: () => 'https://app.clear.ml', openExternal: (url) => opened.push(url) });
    expect(contents.navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.navigate('will-redirect', 'file:///etc/passwd')).toBe(true);
    expect(contents.navigate('will-navigate', 'file:///app/out/renderer/index.html#/logs')).toBe(false);
    let webviewPrevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => (webviewPrevented = true) });
    expect(webviewPrevented).toBe(true);
    expect(contents.windowOpenHandler!({ url: 'https://app.clear.ml/projects/x/experiments/y' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'http://app.clear.ml/x' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://app.clear.ml/projects/x/experiments/y']);
    expect(isAllowedExternalUrl('https://app.clear.ml/', null)).toBe(false);
  });

  it('denies every permission and adds the strict CSP to responses', () => {
    hardenSession(session.defaultSession as never);
    const answers: boolean[] = [];
    session.defaultSession.permissionRequest!(null, 'media', (granted) => answers.push(granted));
    session.defaultSession.permissionRequest!(null, 'notifications', (granted) => answers.push(granted));
    expect(answers).toEqual([false, false]);
    expect(session.defaultSession.permissionCheck!()).toBe(false);
    let headers: Record<string, string[]> = {};
    session.defaultSession.headers!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (headers = response.responseHeaders));
    expect(headers['Content-Security-Policy']).toEqual([rendererContentSecurityPolicy]);
    expect(rendererContentSecurityPolicy).toContain("default-src 'none'");
    expect(rendererContentSecurityPolicy).not.toContain('unsafe');
  });
});

describe('autostart', () => {
  it('Linux: writes and removes ~/.config/autostart/tray-agent.desktop (XDG_CONFIG_HOME respected), starting the AppImage hidden', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autostart-'));
    const autostart = createAutostart({ platform: 'linux', env: { APPIMAGE: '/home/me/Apps/Tray Agent.AppImage' }, execPath: '/tmp/.mount_x/tray-agent', app, home });
    expect(autostart.entryPath).toBe(join(home, '.config', 'autostart', 'tray-agent.desktop'));
    expect(await autostart.isEnabled()).toBe(false);
    await autostart.setEnabled(true);
    const text = readFileSync(autostart.entryPath!, 'utf8');
    expect(text).toContain('[Desktop Entry]\nType=Application');
    expect(text).toContain('Exec="/home/me/Apps/Tray Agent.AppImage" --hidden');
    expect(text).toContain('X-GNOME-Autostart-enabled=true');
    expect(await autostart.isEnabled()).toBe(true);
    await autostart.setEnabled(false);
    expect(existsSync(autostart.entryPath!)).toBe(false);
    const xdg = createAutostart({ platform: 'linux', env: { XDG_CONFIG_HOME: join(home, 'xdg') }, execPath: '/usr/bin/tray-agent', app, home });
    expect(xdg.entryPath).toBe(join(home, 'xdg', 'autostart', 'tray-agent.desktop'));
    await xdg.setEnabled(true);
    expect(readFileSync(xdg.entryPath!, 'utf8')).toContain('Exec=/usr/bin/tray-agent --hidden');
  });

  it('an entry the desktop disabled reads as off', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autostart-'));
    const autostart = createAutostart({ platform: 'linux', env: {}, execPath: '/usr/bin/tray-agent', app, home });
    await autostart.setEnabled(true);
    writeFileSync(autostart.entryPath!, autostartDesktopEntry('/usr/bin/tray-agent').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(await autostart.isEnabled()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry spec asks', () => {
    expect(desktopExecArg('/opt/Tray Agent/tray-agent')).toBe('"/opt/Tray Agent/tray-agent"');
    expect(desktopExecArg('/a/$HOME/`x`"y\\')).toBe('"/a/\\$HOME/\\`x\\`\\"y\\\\"');
    expect(desktopExecArg('/usr/bin/tray-agent')).toBe('/usr/bin/tray-agent');
  });

  it('macOS and Windows: Electron login items', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const autostart = createAutostart({ platform, env: {}, execPath: '/x', app });
      expect(autostart.entryPath).toBeNull();
      await autostart.setEnabled(true);
      expect(await autostart.isEnabled()).toBe(true);
      await autostart.setEnabled(false);
      expect(app.loginItem.openAtLogin).toBe(false);
    }
  });
});

describe('secrets with safeStorage', () => {
  it('stores encrypted, 0600, and reads back; the file never holds the secret', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    const store = createSecretStore({ safeStorage, file, platform: 'linux' });
    await store.set('api.secret_key', 'TOP-SECRET-123');
    await store.set('agent.git_pass', 'ghp_token');
    expect(readFileSync(file, 'utf8')).not.toContain('TOP-SECRET-123');
    expect(readFileSync(file, 'utf8')).not.toContain('ghp_token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.get('api.secret_key')).toBe('TOP-SECRET-123');
    await store.delete('api.secret_key');
    expect(await store.get('api.secret_key')).toBeNull();
    expect(await store.get('agent.git_pass')).toBe('ghp_token');
  });

  it('without a real keyring (Linux basic_text, or none) nothing is stored and the reason is given', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'secrets.json');
    safeStorage.backend = 'basic_text';
    const store = createSecretStore({ safeStorage, file, platform: 'linux' });
    expect(store.available()).toBe(false);
    await expect(store.set('api.secret_key', 'x')).rejects.toThrow(/no OS keyring .* clearml.conf \(mode 0600\)/);
    expect(existsSync(file)).toBe(false);
    safeStorage.backend = 'gnome_libsecret';
    safeStorage.encryptionAvailable = false;
    expect(createSecretStore({ safeStorage, file, platform: 'darwin' }).available()).toBe(false);
  });
});

describe('preferences (electron-store) as the agent host uses them', () => {
  it('the schema holds choices only: no key can carry a secret', () => {
    expect(Object.keys(preferencesSchema).sort()).toEqual(['autostart', 'downtime', 'gpus', 'orderFairness', 'queues', 'skipBusyGpus', 'uptime', 'window']);
    expect(JSON.stringify(preferencesSchema)).not.toMatch(/secret|token|pass|key/i);
    expect(readPreferences(mapStore())).toMatchObject({ queues: [], gpus: null, autostart: false, uptime: null });
  });

  it('what the window sets is stored and read back as the daemon preferences; unset choices stay out', () => {
    const store = mapStore();
    const prefs = agentHostPreferences(store);
    expect(prefs.get()).toEqual({ orderFairness: false, gpus: null, uptime: null, downtime: null, autostart: false });
    prefs.set({ queues: ['cpu-only', 'default'], orderFairness: true });
    prefs.set({ gpus: '1' });
    prefs.set({ skipBusyGpus: false });
    prefs.set({ uptime: ['17-20 SUN-TUE'], downtime: null });
    prefs.set({ autostart: true });
    expect(Object.fromEntries(store.data)).toEqual({ queues: ['cpu-only', 'default'], orderFairness: true, gpus: '1', skipBusyGpus: false, uptime: ['17-20 SUN-TUE'], downtime: null, autostart: true });
    expect(prefs.get()).toEqual({ queues: ['cpu-only', 'default'], orderFairness: true, gpus: '1', skipBusyGpus: false, uptime: ['17-20 SUN-TUE'], downtime: null, autostart: true });
  });
});
