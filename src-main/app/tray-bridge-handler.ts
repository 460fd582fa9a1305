// The bridge as the tray serves it: the agent host's handler, plus what only the tray owns —
// start-on-login, and remembering the window's choices (queues, GPUs, skip-busy) in
// electron-store so they apply again at the next start.
import type { AgentSnapshot, BridgeArgs, BridgeCallName, BridgeEventName, BridgeEvents, BridgeHandler, BridgeResult } from '../../src-shared/bridge.js';
import type { Autostart } from './autostart.js';
import { rememberPreferences, type PreferenceStore } from './preferences.js';

const remembered: Partial<Record<BridgeCallName, 'queues' | 'gpus' | 'skipBusyGpus'>> = { setQueues: 'queues', setGpus: 'gpus', setSkipBusyGpus: 'skipBusyGpus' };

export interface TrayBridgeHandler extends BridgeHandler {
  autostartEnabled(): boolean;
}

export async function createTrayBridgeHandler(host: BridgeHandler, deps: { autostart: Autostart; preferences: PreferenceStore }): Promise<TrayBridgeHandler> {
  let autostart = await deps.autostart.isEnabled();
  const overlay = (snapshot: AgentSnapshot): AgentSnapshot =>
    snapshot.preferences.autostart === autostart ? snapshot : { ...snapshot, preferences: { ...snapshot.preferences, autostart } };
  const isSnapshot = (value: unknown): value is AgentSnapshot => typeof value === 'object' && value !== null && 'preferences' in value && 'state' in value;

  return {
    autostartEnabled: () => autostart,
    async handle<N extends BridgeCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> {
      if (name === 'setAutostart') {
        const { enabled } = args as BridgeArgs<'setAutostart'>;
        await deps.autostart.setEnabled(enabled);
        autostart = enabled;
        deps.preferences.set('autostart', enabled);
        return overlay(await host.handle('getSnapshot', {})) as BridgeResult<N>;
      }
      const result = await host.handle(name, args);
      const which = remembered[name];
      if (which && isSnapshot(result)) rememberPreferences(deps.preferences, result.preferences, [which]);
      return (isSnapshot(result) ? overlay(result) : result) as BridgeResult<N>;
    },
    subscribe(listener) {
      return host.subscribe(<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => {
        listener(event, (event === 'snapshot' ? overlay(payload as AgentSnapshot) : payload) as BridgeEvents[E]);
      });
    },
  };
}
