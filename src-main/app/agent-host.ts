// What the tray drives: the agent host of src-main/control (createAgentHost, the host-seams
// issue) — a BridgeHandler that also starts and stops. Until that lands, an unwired host answers
// the setup wizard for real and says plainly that the engine is not connected yet.
import type { AgentSnapshot, BridgeArgs, BridgeCallName, BridgeEventName, BridgeEvents, BridgeHandler, BridgeResult } from '../../src-shared/bridge.js';
import { productVersion } from '../../src-shared/product.js';
import { createSetupService, resolveConfigPath, setupBridgeCalls } from '../control/setup/index.js';

export interface AgentHost extends BridgeHandler {
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Listener = <E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => void;

export function createUnwiredAgentHost(options: { configPath?: string } = {}): AgentHost {
  const setup = createSetupService({ configPath: options.configPath ?? resolveConfigPath() });
  const setupCalls = setupBridgeCalls(setup);
  const listeners = new Set<Listener>();
  let needsSetup = true;
  const snapshot = (): AgentSnapshot => ({
    state: 'error',
    stateReason: 'The agent engine is not wired into this build yet',
    version: productVersion,
    connection: { serverUrl: null, webUrl: null, mode: 'remote', state: 'not-configured', user: null, apiVersion: null, accessKeyMasked: null, detail: null, since: Date.now() },
    workers: [],
    queues: [],
    gpus: [],
    running: [],
    recent: [],
    schedule: { active: false, reason: 'no agent host', source: 'default', force: null, uptime: null, downtime: null, nextChangeAt: null },
    drain: { draining: false, since: null },
    errors: [{ at: Date.now(), source: 'app', message: 'src-main/control has no createAgentHost yet; only the setup wizard works' }],
    preferences: { queues: [], orderFairness: false, gpus: null, skipBusyGpus: false, autostart: false },
    needsSetup,
  });
  return {
    async start() {
      needsSetup = !(await setup.getState()).hasCredentials;
    },
    async stop() {
      listeners.clear();
    },
    async handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> {
      if (name in setupCalls) {
        const result = await (setupCalls[name as keyof typeof setupCalls] as (a: unknown) => Promise<unknown>)(args);
        if (name === 'setupSave') {
          needsSetup = false;
          for (const listener of listeners) listener('snapshot', snapshot());
        }
        return result as BridgeResult<N>;
      }
      if (name === 'getSnapshot' || name === 'reloadConfig') return snapshot() as BridgeResult<N>;
      throw new Error(`${name} needs the agent host (src-main/control), which this build does not have yet`);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
