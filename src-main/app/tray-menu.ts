// The tray menu as data, rebuilt from the snapshot on every change: Linux AppIndicator shows only
// the menu (clicks on the icon are ignored) and changes to a MenuItem show only after
// setContextMenu, so the whole menu is rebuilt each time (Signal's #render).
import type { MenuItemConstructorOptions } from 'electron';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { pauseChoices, pauseUntil } from '../../src-shared/pause-choices.js';

export type TrayAction =
  | { readonly kind: 'pause'; readonly until: number | null }
  | { readonly kind: 'resume' }
  | { readonly kind: 'drain' }
  | { readonly kind: 'cancel-drain' }
  | { readonly kind: 'open-window'; readonly view?: string }
  | { readonly kind: 'toggle-autostart' }
  | { readonly kind: 'quit' };

export interface TrayMenuItem {
  readonly label?: string;
  readonly type?: 'normal' | 'separator' | 'checkbox' | 'submenu';
  readonly enabled?: boolean;
  readonly checked?: boolean;
  readonly action?: TrayAction;
  readonly submenu?: readonly TrayMenuItem[];
}

const separator: TrayMenuItem = { type: 'separator' };
const MAX_LABEL = 60;

function short(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

function taskLine(task: AgentSnapshot['running'][number]): string {
  const phase = task.phases.find((p) => p.state === 'running');
  const pct = phase?.progress?.fraction != null ? ` ${Math.round(phase.progress.fraction * 100)} %` : '';
  const doing = task.stopping ? `stopping (${task.stopping})` : `${task.phase}${pct}`;
  return short(`${task.name ?? task.id} — ${doing}`);
}

export function buildTrayMenu(snapshot: AgentSnapshot | null, options: { autostart: boolean; now?: Date }): TrayMenuItem[] {
  const now = options.now ?? new Date();
  const items: TrayMenuItem[] = [];
  if (!snapshot) {
    items.push({ label: 'Starting the agent…', enabled: false }, separator, { label: 'Quit Tray Agent', action: { kind: 'quit' } });
    return items;
  }
  items.push({ label: short(snapshot.stateReason), enabled: false });
  for (const task of snapshot.running.slice(0, 5)) items.push({ label: taskLine(task), action: { kind: 'open-window', view: 'tasks' } });
  if (snapshot.running.length > 5) items.push({ label: `and ${snapshot.running.length - 5} more running`, enabled: false });
  items.push(separator);
  if (snapshot.needsSetup) {
    items.push({ label: 'Set up Tray Agent…', action: { kind: 'open-window', view: 'setup' } });
  } else {
    if (snapshot.schedule.force?.value === 'off') items.push({ label: 'Resume', action: { kind: 'resume' } });
    else {
      items.push({
        label: 'Pause',
        type: 'submenu',
        submenu: pauseChoices.map((choice) => ({ label: choice.label, action: { kind: 'pause', until: pauseUntil(choice.id, now) } })),
      });
    }
    items.push(snapshot.drain.draining ? { label: 'Cancel drain', action: { kind: 'cancel-drain' } } : { label: 'Drain (finish running tasks, take no new ones)', action: { kind: 'drain' } });
  }
  items.push(separator, { label: 'Open Tray Agent', action: { kind: 'open-window' } });
  items.push({ label: 'Start on login', type: 'checkbox', checked: options.autostart, action: { kind: 'toggle-autostart' } });
  items.push(separator, { label: 'Quit Tray Agent', action: { kind: 'quit' } });
  return items;
}

/** Electron's template for the menu; `dispatch` receives the item's action on click. */
export function toMenuTemplate(items: readonly TrayMenuItem[], dispatch: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item) => {
    if (item.type === 'separator') return { type: 'separator' };
    const action = item.action;
    return {
      label: item.label,
      type: item.type === 'submenu' ? 'submenu' : item.type === 'checkbox' ? 'checkbox' : 'normal',
      enabled: item.enabled ?? true,
      ...(item.type === 'checkbox' ? { checked: item.checked ?? false } : {}),
      ...(item.submenu ? { submenu: toMenuTemplate(item.submenu, dispatch) } : {}),
      ...(action ? { click: () => dispatch(action) } : {}),
    };
  });
}
