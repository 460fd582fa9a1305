// The bridge over one WebSocket: call frames are checked (name, payload schema) and handed to the
// agent host; its results and every event go back as JSON frames.
import type { WebSocket } from 'ws';
import type { BridgeEventName, BridgeEvents, BridgeHandler } from '../../src-shared/bridge.js';
import { bridgeFailureFrom, checkBridgeCall } from '../../src-shared/bridge-validation.js';
import { dashboardCloseCodes, type DashboardServerMessage } from '../../src-shared/dashboard-protocol.js';

/** A page that has this much unsent is too slow: it is closed, reconnects and reads from where it was. */
export const maxBufferedBytes = 16 * 1024 * 1024;

function send(socket: WebSocket, message: DashboardServerMessage): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > maxBufferedBytes) {
    socket.close(dashboardCloseCodes.tooSlow, 'the page fell behind; reconnect');
    return;
  }
  socket.send(JSON.stringify(message));
}

function parseCall(data: string): { id: number; name: unknown; args: unknown } | null {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { type, id, name, args } = message as Record<string, unknown>;
  if (type !== 'call' || typeof id !== 'number' || !Number.isSafeInteger(id)) return null;
  return { id, name, args };
}

export function serveBridgeSocket(socket: WebSocket, handler: BridgeHandler): () => void {
  socket.on('message', (data, isBinary) => {
    const call = isBinary ? null : parseCall(data.toString());
    if (!call) {
      socket.close(1003, 'expected JSON call frames');
      return;
    }
    const checked = checkBridgeCall(call.name, call.args);
    if (!checked.ok) {
      send(socket, { type: 'result', id: call.id, ok: false, error: checked.failure });
      return;
    }
    handler.handle(checked.name, checked.args).then(
      (result) => send(socket, { type: 'result', id: call.id, ok: true, result }),
      (error: unknown) => send(socket, { type: 'result', id: call.id, ok: false, error: bridgeFailureFrom(error) }),
    );
  });
  const unsubscribe = handler.subscribe(<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => send(socket, { type: 'event', event, payload }));
  socket.on('close', unsubscribe);
  return unsubscribe;
}
