import { join } from 'node:path';
import type { AgentState } from '../../src-shared/bridge.js';

/**
 * Picks the tray icon file for a state. Linux trays ignore scale factors, so one PNG size is
 * chosen by the largest display scale (as Signal does); macOS gets template images.
 */
export function trayIconPath(assetsDir: string, state: AgentState, platform: NodeJS.Platform, maxScale: number): string {
  if (platform === 'darwin') return join(assetsDir, 'tray', `${state}Template${maxScale > 1 ? '@2x' : ''}.png`);
  if (platform === 'win32') return join(assetsDir, 'tray', `${state}.ico`);
  const size = maxScale >= 2 ? 48 : maxScale > 1 ? 32 : 24;
  return join(assetsDir, 'tray', `${state}-${size}.png`);
}
