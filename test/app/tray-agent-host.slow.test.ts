import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-test-double.js'));

import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app } from './electron-test-double.js';
import { createTrayAgentHost, type TrayAgentHost } from '../../src-main/app/agent-host.js';
import { createAutostart } from '../../src-main/app/autostart.js';
import type { PreferenceStore } from '../../src-main/app/preferences.js';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { until } from '../helpers/until.js';

// The tray's agent host: src-main/control's real AgentHost with the tray's parts plugged in,
// against the real embedded server: first start without a configuration, the wizard saves,
// a daemon starts; choices land in the preference store; start on login writes the XDG entry.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let counter = 0;
function trayHost(options: { home: string; embeddedPort?: number }): { host: TrayAgentHost; store: Map<string, unknown>; configPath: string } {
  const store = new Map<string, unknown>();
  const preferences: PreferenceStore = { get: (key) => store.get(key) as never, set: (key, value) => void store.set(key, value) };
  const configPath = join(options.home, 'clearml.conf');
  const name = `trayhost${process.pid}x${++counter}`;
  const host = createTrayAgentHost({
    preferences,
    autostart: createAutostart({ platform: 'linux', env: {}, execPath: '/usr/bin/tray-agent', app, home: options.home }),
    configPath,
    env: { PATH: process.env['PATH'], HOME: options.home, CLEARML_WORKER_NAME: name },
    homeDir: options.home,
    hostname: name,
    embeddedPort: options.embeddedPort,
  });
  cleanups.push(() => host.stop());
  return { host, store, configPath };
}

const snapshotOf = (host: TrayAgentHost) => host.handle('getSnapshot', {}) as Promise<AgentSnapshot>;

describe('tray agent host on the real AgentHost', () => {
  it('first start waits for setup; the wizard saves against the server and a daemon starts; choices are remembered', async () => {
    const server: TestServer = await startTestServer();
    cleanups.push(() => server.close());
    const home = mkdtempSync(join(tmpdir(), 'tray-host-'));
    const { host, store, configPath } = trayHost({ home });
    await host.start();
    const first = await snapshotOf(host);
    expect(first.needsSetup).toBe(true);
    expect(first.workers).toEqual([]);

    const block = `api {\n  api_server: ${server.url}\n  web_server: ${server.url}\n  credentials {\n    "access_key" = "${server.credentials.accessKey}"\n    "secret_key" = "${server.credentials.secretKey}"\n  }\n}\n`;
    expect((await host.handle('setupVerify', { mode: 'remote', credentialsText: block })).ok).toBe(true);
    const saved = await host.handle('setupSave', { mode: 'remote', credentialsText: block });
    expect(saved.created).toBe(true);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const running = await until(async () => {
      const s = await snapshotOf(host);
      return s.workers.length === 1 && !s.needsSetup ? s : null;
    }, 30_000, 'a daemon and a connection');
    expect(running.connection.serverUrl).toBe(server.url);

    await host.handle('setQueues', { queues: ['default'], orderFairness: true });
    expect(store.get('queues')).toEqual(['default']);
    expect(store.get('orderFairness')).toBe(true);
    const withAutostart = await host.handle('setAutostart', { enabled: true });
    expect(withAutostart.preferences.autostart).toBe(true);
    expect(readFileSync(join(home, '.config', 'autostart', 'tray-agent.desktop'), 'utf8')).toContain('Exec=/usr/bin/tray-agent --hidden');
  });

  it('"this workstation only" starts the embedded server in the tray process, writes its key pair, and runs a daemon on it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tray-host-embedded-'));
    const { host, configPath } = trayHost({ home, embeddedPort: 0 });
    await host.start();
    expect((await host.handle('setupVerify', { mode: 'embedded' })).ok).toBe(true);
    await host.handle('setupSave', { mode: 'embedded' });
    expect(readFileSync(configPath, 'utf8')).toMatch(/api_server: "http:\/\/127\.0\.0\.1:\d+"/);
    const running = await until(async () => {
      const s = await snapshotOf(host);
      return s.workers.length === 1 ? s : null;
    }, 30_000, 'a daemon on the embedded server');
    expect(running.connection.mode).toBe('embedded');
    expect(existsSync(join(home, '.tray-agent', 'server'))).toBe(true);
  });
});
