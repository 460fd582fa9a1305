import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-test-double.js'));

import { Menu, Tray, resetElectronTestDouble } from './electron-test-double.js';
import { buildTrayMenu, toMenuTemplate, type TrayAction, type TrayMenuItem } from '../../src-main/app/tray-menu.js';
import { TrayService } from '../../src-main/app/tray-service.js';
import { trayIconPath } from '../../src-main/app/tray-icons.js';
import { quitDecision, quitQuestion } from '../../src-main/app/quit-flow.js';
import { secondLaunchAction } from '../../src-main/app/second-instance.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';

const labels = (items: readonly TrayMenuItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));
const now = new Date(2026, 2, 10, 14, 30);

beforeEach(resetElectronTestDouble);

describe('tray menu builder', () => {
  it('running: state line, the task with its phase, Pause ▸, Drain, Open, Start on login, Quit', () => {
    const items = buildTrayMenu(new ScriptedAgentHost().snapshot, { autostart: true, now });
    expect(labels(items)).toEqual([
      'Running resnet50 fine-tune on imagenet-subset (lr sweep 3 o…',
      'resnet50 fine-tune on imagenet-subset (lr sweep 3 of 8) — e…',
      '---',
      'Pause',
      'Drain (finish running tasks, take no new ones)',
      '---',
      'Open Tray Agent',
      'Start on login',
      '---',
      'Quit Tray Agent',
    ]);
    expect(items[0]!.enabled).toBe(false);
    const pause = items.find((i) => i.label === 'Pause')!;
    expect(pause.submenu!.map((i) => [i.label, i.action])).toEqual([
      ['For 1 hour', { kind: 'pause', until: now.getTime() + 3_600_000 }],
      ['Until tomorrow 08:00', { kind: 'pause', until: new Date(2026, 2, 11, 8, 0).getTime() }],
      ['Until I resume', { kind: 'pause', until: null }],
    ]);
    expect(items.find((i) => i.label === 'Start on login')).toMatchObject({ type: 'checkbox', checked: true });
  });

  it('paused: Resume instead of Pause; draining: Cancel drain; no setup: Set up first', async () => {
    const host = new ScriptedAgentHost({ empty: true });
    await host.handle('pause', { until: null });
    await host.handle('drain', { cancel: false });
    const items = buildTrayMenu(host.snapshot, { autostart: false, now });
    expect(labels(items)).toContain('Resume');
    expect(labels(items)).not.toContain('Pause');
    expect(labels(items)).toContain('Cancel drain');
    expect(labels(items)[0]).toBe('Paused');
    const setup = buildTrayMenu({ ...host.snapshot, needsSetup: true }, { autostart: false, now });
    expect(labels(setup)).toContain('Set up Tray Agent…');
    expect(labels(setup)).not.toContain('Resume');
  });

  it('the template clicks dispatch the item\'s action', () => {
    const dispatched: TrayAction[] = [];
    const template = toMenuTemplate(buildTrayMenu(new ScriptedAgentHost().snapshot, { autostart: false, now }), (a) => dispatched.push(a));
    const pause = template.find((t) => t.label === 'Pause')!;
    (pause.submenu as Electron.MenuItemConstructorOptions[])[2]!.click!({} as never, undefined, {} as never);
    template.find((t) => t.label === 'Quit Tray Agent')!.click!({} as never, undefined, {} as never);
    expect(dispatched).toEqual([{ kind: 'pause', until: null }, { kind: 'quit' }]);
  });
});

describe('tray service', () => {
  it('sets the icon per state and rebuilds the whole menu on every change', async () => {
    const host = new ScriptedAgentHost();
    const service = new TrayService({
      createTray: (icon) => new Tray(icon) as never,
      buildMenu: (template) => Menu.buildFromTemplate(template) as never,
      iconFor: (state) => trayIconPath('/assets', state, 'linux', 1),
      dispatch: () => undefined,
    });
    service.update({ snapshot: host.snapshot });
    const tray = Tray.created[0]!;
    expect(tray.image).toBe('/assets/tray/running-24.png');
    expect(tray.tooltip).toBe(`Tray Agent — ${host.snapshot.stateReason}`);
    await host.handle('stopTask', { taskId: host.snapshot.running[0]!.id });
    service.update({ snapshot: host.snapshot });
    expect(tray.image).toBe('/assets/tray/idle-24.png');
    await host.handle('pause', { until: null });
    service.update({ snapshot: host.snapshot });
    expect(tray.image).toBe('/assets/tray/paused-24.png');
    await host.handle('setAutostart', { enabled: true });
    service.update({ snapshot: host.snapshot });
    expect(tray.menusSet).toBe(4);
    expect(Tray.created).toHaveLength(1);
    expect(JSON.stringify(tray.menu!.template)).toContain('"checked":true');
  });

  it('icons: one PNG size on Linux by the largest display scale, templates on macOS, .ico on Windows', () => {
    expect(trayIconPath('/a', 'error', 'linux', 2)).toBe('/a/tray/error-48.png');
    expect(trayIconPath('/a', 'idle', 'linux', 1.5)).toBe('/a/tray/idle-32.png');
    expect(trayIconPath('/a', 'paused', 'darwin', 2)).toBe('/a/tray/pausedTemplate@2x.png');
    expect(trayIconPath('/a', 'running', 'win32', 1)).toBe('/a/tray/running.ico');
  });
});

describe('quit and second launch', () => {
  it('asks only when a task runs, naming it, with drain / stop / cancel', () => {
    const host = new ScriptedAgentHost();
    const question = quitQuestion(host.snapshot)!;
    expect(question.message).toBe('A task is running: “resnet50 fine-tune on imagenet-subset (lr sweep 3 of 8)”');
    expect(question.buttons).toEqual(['Finish the task, then quit', 'Stop the task and quit', 'Cancel']);
    expect(question.cancelId).toBe(2);
    expect([0, 1, 2, 7].map(quitDecision)).toEqual(['drain', 'stop', 'cancel', 'cancel']);
    expect(quitQuestion(new ScriptedAgentHost({ empty: true }).snapshot)).toBeNull();
  });

  it('a second launch brings the window up (on a named view), an autostart launch does nothing', () => {
    expect(secondLaunchAction(['/opt/tray-agent'])).toEqual({ kind: 'open-window' });
    expect(secondLaunchAction(['/opt/tray-agent', '--view=logs'])).toEqual({ kind: 'open-window', view: 'logs' });
    expect(secondLaunchAction(['/opt/tray-agent', '--view=<script>'])).toEqual({ kind: 'open-window' });
    expect(secondLaunchAction(['/opt/tray-agent', '--hidden'])).toEqual({ kind: 'ignore' });
  });
});
