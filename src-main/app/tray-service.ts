// The tray icon and its menu, reconciled from state in one place (Signal's SystemTrayService):
// the icon follows the agent's state, the tooltip its one-line reason, the menu everything else.
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { AgentSnapshot, AgentState } from '../../src-shared/bridge.js';
import { buildTrayMenu, toMenuTemplate, type TrayAction } from './tray-menu.js';

export interface TrayServiceOptions {
  createTray(icon: string | NativeImage): Tray;
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  iconFor(state: AgentState): string;
  dispatch(action: TrayAction): void;
}

export class TrayService {
  readonly #options: TrayServiceOptions;
  #tray: Tray | null = null;
  #icon: string | null = null;
  #snapshot: AgentSnapshot | null = null;

  constructor(options: TrayServiceOptions) {
    this.#options = options;
  }

  update(change: { snapshot: AgentSnapshot }): void {
    this.#snapshot = change.snapshot;
    this.#render();
  }

  destroy(): void {
    this.#tray?.destroy();
    this.#tray = null;
  }

  #render(): void {
    const icon = this.#options.iconFor(this.#snapshot?.state ?? 'idle');
    if (!this.#tray) this.#tray = this.#options.createTray(icon);
    else if (icon !== this.#icon) this.#tray.setImage(icon);
    this.#icon = icon;
    this.#tray.setToolTip(`Tray Agent — ${this.#snapshot?.stateReason ?? 'starting'}`);
    const items = buildTrayMenu(this.#snapshot, { autostart: this.#snapshot?.preferences.autostart ?? false });
    this.#tray.setContextMenu(this.#options.buildMenu(toMenuTemplate(items, this.#options.dispatch)));
  }
}
