import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isBridgeCallName, bridgeEventNames, type Bridge } from '../../src-shared/bridge.js';

// Named, validated entry points only: the renderer never gets raw ipcRenderer.
const bridge: Bridge = {
  call(name, args) {
    if (!isBridgeCallName(name)) return Promise.reject(new Error(`unknown bridge call "${String(name)}"`));
    return ipcRenderer.invoke('bridge:call', name, args);
  },
  on(event, listener) {
    if (!bridgeEventNames.includes(event)) throw new Error(`unknown bridge event "${String(event)}"`);
    const channel = `bridge:event:${event}`;
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(channel, handler);
    return () => ipcRenderer.removeListener(channel, handler);
  },
};

contextBridge.exposeInMainWorld('trayAgent', bridge);
