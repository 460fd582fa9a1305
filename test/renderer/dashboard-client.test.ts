import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startDashboard, type Dashboard } from '../../src-main/dashboard/index.js';
import { createDashboardBridge, bridgeSocketUrl, type TransportStatus } from '../../src-renderer/bridge/dashboard-client.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';
import { until } from '../helpers/until.js';

// The renderer's dashboard client against the real dashboard server, under Node with the `ws`
// package standing in for the browser's WebSocket class (same interface).

let rendererDir: string;
let host: ScriptedAgentHost;
let dashboard: Dashboard;
const asBrowserSocket = WebSocket as unknown as new (url: string) => globalThis.WebSocket;

beforeAll(async () => {
  rendererDir = mkdtempSync(join(tmpdir(), 'client-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
  host = new ScriptedAgentHost();
  dashboard = await startDashboard({ handler: host, rendererDir, token: 'client-test-token-0123456789abcdef' });
});
afterAll(async () => {
  await dashboard.close();
  rmSync(rendererDir, { recursive: true, force: true });
});


describe('dashboard client', () => {
  it('derives the socket address and token from the page URL', () => {
    expect(bridgeSocketUrl('http://127.0.0.1:9000/?token=abc#/logs/x')).toEqual({ url: 'ws://127.0.0.1:9000/bridge?token=abc', hasToken: true });
    expect(bridgeSocketUrl('http://localhost:9000/').hasToken).toBe(false);
  });

  it('calls, receives events, and gets the transport check as an error message', async () => {
    const bridge = createDashboardBridge({ pageUrl: dashboard.url, WebSocket: asBrowserSocket });
    const snapshot = await bridge.call('getSnapshot', {});
    expect(snapshot.connection.state).toBe('connected');
    const lines: number[] = [];
    bridge.on('taskLog', (event) => lines.push(...event.lines.map((l) => l.seq)));
    host.appendLog('t-client', 5);
    await until(() => lines.length === 5, 5_000, 'five log lines', 20);
    await expect(bridge.call('setGpus', { gpus: '' })).rejects.toThrow(/setGpus: gpus:/);
    await expect(bridge.call('stopTask', { taskId: 'nope' })).rejects.toThrow(/not running here/);
  });

  it('a page without a token is refused at once, saying what to open', async () => {
    const statuses: TransportStatus[] = [];
    const bridge = createDashboardBridge({ pageUrl: `http://127.0.0.1:${dashboard.port}/`, WebSocket: asBrowserSocket });
    bridge.onStatus((s) => statuses.push(s));
    expect(statuses.at(-1)).toMatchObject({ state: 'refused', reason: expect.stringContaining('open the dashboard address tray-agent printed') });
    await expect(bridge.call('getSnapshot', {})).rejects.toThrow(/no token/);
  });

  it('a wrong token never connects and says the token may be invalid', async () => {
    const statuses: TransportStatus[] = [];
    const bridge = createDashboardBridge({ pageUrl: `http://127.0.0.1:${dashboard.port}/?token=wrong`, WebSocket: asBrowserSocket, callWaitMs: 300 });
    bridge.onStatus((s) => statuses.push(s));
    await until(() => statuses.some((s) => s.state === 'retrying'), 5_000, 'a retrying status', 20);
    expect(statuses.find((s) => s.state === 'retrying')).toMatchObject({ reason: expect.stringContaining('token in this address is not valid') });
    await expect(bridge.call('getSnapshot', {})).rejects.toThrow(/not connected to the agent/);
  });

  it('reconnects by itself when the agent comes back, and calls wait for it', async () => {
    const statuses: string[] = [];
    const bridge = createDashboardBridge({ pageUrl: dashboard.url, WebSocket: asBrowserSocket });
    bridge.onStatus((s) => statuses.push(s.state));
    await bridge.call('getSnapshot', {});
    const port = dashboard.port;
    await dashboard.close();
    await until(() => statuses.at(-1) === 'retrying', 5_000, 'the status to be retrying', 20);
    const pending = bridge.call('getSnapshot', {});
    dashboard = await startDashboard({ handler: host, rendererDir, port, token: 'client-test-token-0123456789abcdef' });
    await expect(pending).resolves.toMatchObject({ version: '0.1.0' });
    expect(statuses).toEqual(expect.arrayContaining(['connecting', 'open', 'retrying']));
    expect(statuses.at(-1)).toBe('open');
  });
});
