// The page side of the bridge over Electron IPC (runs in the sandboxed preload): named calls and
// event subscriptions generated from the bridge map, never the raw ipcRenderer. This is the one
// module that may touch ipcRenderer (see eslint.config.js).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { bridgeEventNames, isBridgeCallName, type Bridge, type BridgeEventName } from '../../../src-shared/bridge.js';
import { bridgeCallChannel, bridgeEventChannel, type BridgeReply } from './bridge-channels.js';

type IpcRendererPort = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function createPreloadBridge(ipc: IpcRendererPort = ipcRenderer): Bridge {
  return {
    async call(name, args) {
      if (!isBridgeCallName(name)) throw new Error(`unknown bridge call "${String(name).slice(0, 80)}"`);
      const reply = (await ipc.invoke(bridgeCallChannel(name), args)) as BridgeReply;
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.result as never;
    },
    on(event, listener) {
      if (!(bridgeEventNames as readonly string[]).includes(event)) throw new Error(`unknown bridge event "${String(event).slice(0, 80)}"`);
      const channel = bridgeEventChannel(event as BridgeEventName);
      const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as never);
      ipc.on(channel, forward);
      return () => {
        ipc.removeListener(channel, forward);
      };
    },
  };
}

/** Gives the page `window.trayAgent` (contextBridge copies the functions; the page gets nothing else). */
export function exposeBridgeInMainWorld(): void {
  contextBridge.exposeInMainWorld('trayAgent', createPreloadBridge());
}
