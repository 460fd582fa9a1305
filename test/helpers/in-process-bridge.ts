import type { BridgeEventName, BridgeEvents, BridgeHandler } from '../../src-shared/bridge.js';
import { checkBridgeCall } from '../../src-shared/bridge-validation.js';
import type { StatusBridge } from '../../src-renderer/bridge/dashboard-client.js';

/**
 * The renderer's bridge wired straight to a BridgeHandler in the same process (payloads checked
 * as the transports check them), for component tests that need no socket.
 */
export function inProcessBridge(handler: BridgeHandler): StatusBridge {
  return {
    async call(name, args) {
      const checked = checkBridgeCall(name, args);
      if (!checked.ok) throw new Error(checked.failure.message);
      return handler.handle(name, args);
    },
    on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void) {
      return handler.subscribe((name, payload) => {
        if ((name as BridgeEventName) === event) listener(payload as unknown as BridgeEvents[E]);
      });
    },
    onStatus(listener) {
      listener({ state: 'open' });
      return () => undefined;
    },
  };
}
