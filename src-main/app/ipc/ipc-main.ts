// The main-process side of the bridge over Electron IPC, generated from the bridge map: one
// ipcMain.handle per call that first checks the sender (a window we made, its main frame, our
// page) and the payload (bridge-schemas.ts), then asks the agent host. Events go to trusted
// windows only. This is the one module that may touch ipcMain (see eslint.config.js).
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { bridgeCallNames, type BridgeEventName, type BridgeEvents, type BridgeHandler } from '../../../src-shared/bridge.js';
import { bridgeFailureFrom, checkBridgeCall } from '../../../src-shared/bridge-validation.js';
import { bridgeCallChannel, bridgeEventChannel, type BridgeReply } from './bridge-channels.js';
import type { TrustedSenders } from './trusted-senders.js';

/** Why a sender is refused, or null when it is one of ours (Electron security checklist: validate the sender of every IPC message). */
export function senderProblem(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, trusted: TrustedSenders): string | null {
  if (!trusted.has(event.sender)) return 'the call came from a window Tray Agent did not open';
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame) return 'the call came from a sub-frame';
  if (!trusted.isOurPage(frame.url)) return `the call came from a page that is not Tray Agent's (${frame.url.slice(0, 80)})`;
  return null;
}

/** Registers every call channel; returns the function that removes them again. */
export function serveBridgeOverIpc(handler: BridgeHandler, trusted: TrustedSenders): () => void {
  for (const name of bridgeCallNames) {
    ipcMain.handle(bridgeCallChannel(name), async (event, args: unknown): Promise<BridgeReply> => {
      const problem = senderProblem(event, trusted);
      if (problem) return { ok: false, error: { code: 'refused', message: problem } };
      const checked = checkBridgeCall(name, args);
      if (!checked.ok) return { ok: false, error: checked.failure };
      try {
        return { ok: true, result: await handler.handle(checked.name, checked.args) };
      } catch (error) {
        return { ok: false, error: bridgeFailureFrom(error) };
      }
    });
  }
  return () => {
    for (const name of bridgeCallNames) ipcMain.removeHandler(bridgeCallChannel(name));
  };
}

/** Sends every host event to the trusted windows that are open; returns the unsubscribe. */
export function forwardBridgeEvents(handler: BridgeHandler, windows: () => readonly WebContents[]): () => void {
  return handler.subscribe(<E extends BridgeEventName>(event: E, payload: BridgeEvents[E]) => {
    for (const contents of windows()) if (!contents.isDestroyed()) contents.send(bridgeEventChannel(event), payload);
  });
}
