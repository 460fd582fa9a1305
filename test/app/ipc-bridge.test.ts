import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-test-double.js'));

import { contextBridge, FakeFrame, FakeWebContents, ipcMain, ipcRenderer, resetElectronTestDouble } from './electron-test-double.js';
import { forwardBridgeEvents, serveBridgeOverIpc } from '../../src-main/app/ipc/ipc-main.js';
import { createPreloadBridge, exposeBridgeInMainWorld } from '../../src-main/app/ipc/ipc-renderer.js';
import { createTrustedSenders } from '../../src-main/app/ipc/trusted-senders.js';
import { bridgeCallChannel } from '../../src-main/app/ipc/bridge-channels.js';
import { bridgeCallNames, type Bridge } from '../../src-shared/bridge.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';

// The Electron side of the bridge with the electron module replaced by its test double: every
// handler checks the sender frame and the payload before the agent host sees the call.

const pageUrl = 'file:///app/out/renderer/index.html';
let host: ScriptedAgentHost;
let ours: FakeWebContents;
let trusted: ReturnType<typeof createTrustedSenders>;

beforeEach(() => {
  resetElectronTestDouble();
  host = new ScriptedAgentHost();
  trusted = createTrustedSenders(pageUrl);
  ours = new FakeWebContents(`${pageUrl}#/logs`);
  trusted.add(ours as never);
  serveBridgeOverIpc(host, trusted);
});

describe('ipcMain wrapper', () => {
  it('registers one channel per bridge call, and only those', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(bridgeCallNames.map((n) => bridgeCallChannel(n)).sort());
  });

  it('answers a call from our window', async () => {
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('getSnapshot'), {})).toMatchObject({ ok: true, result: { state: 'running' } });
  });

  it('refuses a window we did not open, a sub-frame, and our window once it shows another page', async () => {
    const stranger = new FakeWebContents(pageUrl);
    expect(await ipcMain.invokeAs(stranger, bridgeCallChannel('pause'), { until: null })).toEqual({ ok: false, error: { code: 'refused', message: 'the call came from a window Tray Agent did not open' } });
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('pause'), { until: null }, new FakeFrame(pageUrl))).toMatchObject({ ok: false, error: { message: 'the call came from a sub-frame' } });
    ours.mainFrame.url = 'https://evil.example/';
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('pause'), { until: null })).toMatchObject({ ok: false, error: { code: 'refused', message: expect.stringContaining("not Tray Agent's") } });
    expect(host.calls).toEqual([]);
  });

  it('refuses a destroyed window (a new one at the same id is not trusted by inheritance)', async () => {
    ours.destroy();
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('getSnapshot'), {})).toMatchObject({ ok: false, error: { code: 'refused' } });
  });

  it('checks the payload before the host sees it', async () => {
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('stopTask'), { taskId: '../../etc' })).toMatchObject({ ok: false, error: { code: 'invalid-args', message: expect.stringContaining('stopTask: taskId:') } });
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('setSchedule'), { uptime: 'not a list', downtime: null })).toMatchObject({ ok: false, error: { code: 'invalid-args' } });
    expect(host.calls).toEqual([]);
  });

  it('passes the host error message on as data', async () => {
    expect(await ipcMain.invokeAs(ours, bridgeCallChannel('stopTask'), { taskId: 'absent' })).toEqual({ ok: false, error: { code: 'failed', message: 'task absent is not running here; it may have finished already' } });
  });

  it('sends events to trusted windows only', () => {
    const stranger = new FakeWebContents(pageUrl);
    forwardBridgeEvents(host, () => trusted.all() as never);
    host.appendLog('t1', 2);
    expect(ours.sent.map((s) => s.channel)).toEqual(['tray-agent:event:taskLog']);
    expect(stranger.sent).toEqual([]);
  });
});

describe('preload (ipcRenderer wrapper)', () => {
  /** The preload's bridge wired to the main-side handlers through the two doubles, as Electron would. */
  function wiredBridge(sender: FakeWebContents): Bridge {
    ipcRenderer.answer = (channel, args) => ipcMain.invokeAs(sender, channel, args);
    return createPreloadBridge(ipcRenderer as never);
  }

  it('a call goes through both wrappers; failures reject with the message alone', async () => {
    const bridge = wiredBridge(ours);
    expect((await bridge.call('getSnapshot', {})).connection.serverUrl).toBe('http://127.0.0.1:8008');
    await expect(bridge.call('stopTask', { taskId: 'absent' })).rejects.toThrow(/^task absent is not running here; it may have finished already$/);
    await expect(bridge.call('nope' as never, {} as never)).rejects.toThrow('unknown bridge call "nope"');
  });

  it('events arrive on their channel; unsubscribing stops them; unknown events are refused', () => {
    const bridge = wiredBridge(ours);
    const got: unknown[] = [];
    const off = bridge.on('snapshot', (s) => got.push(s.state));
    ipcRenderer.emit('tray-agent:event:snapshot', {}, { state: 'paused' });
    off();
    ipcRenderer.emit('tray-agent:event:snapshot', {}, { state: 'idle' });
    expect(got).toEqual(['paused']);
    expect(() => bridge.on('anything' as never, () => undefined)).toThrow('unknown bridge event');
  });

  it('exposes exactly one object, window.trayAgent, with call and on', () => {
    exposeBridgeInMainWorld();
    expect([...contextBridge.exposed.keys()]).toEqual(['trayAgent']);
    expect(Object.keys(contextBridge.exposed.get('trayAgent') as object).sort()).toEqual(['call', 'on']);
  });
});
