import type { Bridge } from '../../src-shared/bridge.js';
import { createDashboardBridge, type StatusBridge, type TransportStatus } from './dashboard-client.js';

declare global {
  interface Window {
    /** Electron's preload exposes the bridge here (src-main/app/preload.ts). */
    trayAgent?: Bridge;
  }
}

/** Electron's IPC never drops; give it the same status interface as the socket. */
function alwaysOpen(bridge: Bridge): StatusBridge {
  return {
    call: (name, args) => bridge.call(name, args),
    on: (event, listener) => bridge.on(event, listener),
    onStatus(listener: (status: TransportStatus) => void) {
      listener({ state: 'open' });
      return () => undefined;
    },
  };
}

/** The one bridge of this page: Electron's preload, else the dashboard's WebSocket. */
export function selectBridge(page: Window): StatusBridge {
  if (page.trayAgent) return alwaysOpen(page.trayAgent);
  return createDashboardBridge({ pageUrl: page.location.href, WebSocket: (page as unknown as typeof globalThis).WebSocket });
}
