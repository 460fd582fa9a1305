import type { Bridge } from '../src-shared/bridge.js';

declare global {
  interface Window {
    trayAgent?: Bridge;
  }
}

/**
 * The bridge the page was given: Electron's preload exposes `window.trayAgent`; in a browser
 * the dashboard transport supplies one with the same shape.
 */
export function currentBridge(): Bridge | null {
  return window.trayAgent ?? null;
}
