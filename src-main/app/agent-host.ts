// The agent host as the tray runs it: src-main/control's AgentHost with the tray's own parts
// plugged in — electron-store preferences, start on login, and the setup wizard (control/setup),
// whose "this workstation only" starts the embedded server in this process. start() brings up
// what clearml.conf describes: the embedded server when it points at one on this machine that is
// not running, then one daemon; without a configuration it waits for the wizard.
import type { BridgeArgs, BridgeCallName, BridgeHandler, BridgeResult } from '../../src-shared/bridge.js';
import { productVersion } from '../../src-shared/product.js';
import { AgentHost } from '../control/index.js';
import { createSetupService, resolveConfigPath, setupForAgentHost, type EmbeddedServerAccess } from '../control/setup/index.js';
import type { Autostart } from './autostart.js';
import { agentHostPreferences, type PreferenceStore } from './preferences.js';

export interface TrayAgentHost extends BridgeHandler {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TrayAgentHostOptions {
  preferences: PreferenceStore;
  autostart: Autostart;
  configPath?: string;
  env?: Record<string, string | undefined>;
  /** For tests: the home folder (~/.tray-agent, default clearml.conf) and the worker's host name. */
  homeDir?: string;
  hostname?: string;
  /** The embedded server's port for "this workstation only" (DESIGN.md: 127.0.0.1:8008). */
  embeddedPort?: number;
}

const EMBEDDED_HOST = '127.0.0.1';

function loopbackPort(url: string | null): number | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return ['127.0.0.1', 'localhost'].includes(parsed.hostname) ? Number(parsed.port || 80) : null;
  } catch {
    return null;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url.replace(/\/+$/, '')}/server.info`, { signal: AbortSignal.timeout(1_500) })).ok;
  } catch {
    return false;
  }
}

export function createTrayAgentHost(options: TrayAgentHostOptions): TrayAgentHost {
  const configPath = options.configPath ?? resolveConfigPath({ env: options.env, home: options.homeDir });
  // The wizard's "this workstation only" needs the host, and the host takes the wizard: the
  // closure reads `host` only when called, after it exists.
  const embedded = async (port: number): Promise<EmbeddedServerAccess> => {
    const running = host.embeddedServer ?? (await host.startEmbeddedServer({ host: EMBEDDED_HOST, port }));
    return { url: running.url, credentials: running.credentials };
  };
  const setup = createSetupService({ configPath, embeddedServer: () => embedded(options.embeddedPort ?? 8008) });
  const host: AgentHost = new AgentHost({
    version: productVersion,
    configFile: options.configPath,
    env: options.env,
    homeDir: options.homeDir,
    hostname: options.hostname,
    preferences: agentHostPreferences(options.preferences),
    autostart: { set: (enabled) => options.autostart.setEnabled(enabled) },
    setup: setupForAgentHost(setup),
  });

  const start = async (): Promise<void> => {
    if (host.daemons.length > 0) return;
    const state = await setup.getState();
    if (!state.hasCredentials) return;
    const port = loopbackPort(state.serverUrl);
    if (port !== null && !host.embeddedServer && !(await answers(state.serverUrl!))) await embedded(port);
    await host.startDaemon({ queues: [] });
  };

  return {
    start,
    stop: () => host.shutdown(),
    subscribe: (listener) => host.subscribe(listener),
    async handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> {
      const result = await host.handle(name, args);
      if (name === 'setupSave') {
        // The configuration exists now: read it again and start working.
        await host.handle('reloadConfig', {});
        await start();
      }
      return result;
    },
  };
}
