import type { BridgeArgs, BridgeResult } from '../../../src-shared/bridge.js';
import type { SetupService } from './setup-service.js';

type SetupCallName = 'setupGetState' | 'setupParseCredentials' | 'setupVerify' | 'setupSave';

/**
 * The wizard's four bridge calls answered by a SetupService, for the agent host's
 * BridgeHandler to delegate to (payloads were already checked by the transport).
 */
export function setupBridgeCalls(service: SetupService): { [N in SetupCallName]: (args: BridgeArgs<N>) => Promise<BridgeResult<N>> } {
  return {
    setupGetState: () => service.getState(),
    setupParseCredentials: async ({ text }) => service.parseCredentials(text),
    setupVerify: ({ mode, credentialsText }) => service.verify(mode, credentialsText),
    setupSave: (request) => service.save(request),
  };
}

/** The same calls in the shape AgentHost takes as its `setup` option (control/agent-host.ts). */
export function setupForAgentHost(service: SetupService): { handle<N extends SetupCallName>(name: N, args: BridgeArgs<N>): Promise<BridgeResult<N>> } {
  const calls = setupBridgeCalls(service);
  return {
    handle: <N extends SetupCallName>(name: N, args: BridgeArgs<N>) => (calls[name] as (a: BridgeArgs<N>) => Promise<BridgeResult<N>>)(args),
  };
}
