// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src-renderer/App.js';
import { connectionLine } from '../../src-renderer/components/Header.js';
import { useAgentStore } from '../../src-renderer/stores/agent-store.js';
import { connectLogs, resetLogBuffers, useLogStore } from '../../src-renderer/stores/log-store.js';
import { useUiStore, parseRoute, routeHash, type ViewName } from '../../src-renderer/stores/ui-store.js';
import { gpusSpec } from '../../src-renderer/views/GpusView.js';
import { ScriptedAgentHost } from '../helpers/scripted-agent-host.js';
import { inProcessBridge } from '../helpers/in-process-bridge.js';
import { createSetupService } from '../../src-main/control/setup/index.js';

// The views as components (happy-dom), on the stores and the scripted agent host through an
// in-process bridge: what a click sends, and what the page shows back.

let host: ScriptedAgentHost;
let disconnect: Array<() => void> = [];

function mount(view: ViewName, options: ConstructorParameters<typeof ScriptedAgentHost>[0] = {}, taskId: string | null = null) {
  host = new ScriptedAgentHost(options);
  const bridge = inProcessBridge(host);
  disconnect = [useAgentStore.getState().connect(bridge), connectLogs(bridge)];
  useUiStore.setState(parseRoute(routeHash({ view, taskId })));
  return render(<App />);
}

beforeEach(() => {
  useAgentStore.setState({ snapshot: null, notices: [], busy: {}, loadError: null });
  useLogStore.setState({ taskId: null, query: '', matches: [], current: -1, target: null, follow: true });
  resetLogBuffers();
});
afterEach(() => {
  cleanup();
  disconnect.forEach((off) => off());
});

const callsOf = (name: string) => host.calls.filter((c) => c.name === name).map((c) => c.args);

describe('overview and header', () => {
  it('answers the glance question and offers Pause', async () => {
    mount('overview');
    expect(await screen.findByTestId('agent-state')).toHaveProperty('textContent', expect.stringContaining('Running resnet50 fine-tune'));
    expect(screen.getByTestId('connection-line').textContent).toContain('Embedded server http://127.0.0.1:8008');
    fireEvent.click(screen.getByRole('button', { name: /Pause/ }));
    fireEvent.click(screen.getByRole('button', { name: 'For 1 hour' }));
    await waitFor(() => expect(callsOf('pause')).toHaveLength(1));
    const until = (callsOf('pause')[0] as { until: number }).until;
    expect(until - Date.now()).toBeGreaterThan(3_590_000);
    expect(await screen.findByRole('button', { name: /Resume/ })).toBeTruthy();
  });

  it('an empty agent says what to do next', async () => {
    mount('overview', { empty: true });
    expect((await screen.findAllByText('No queues selected', { selector: '.empty-title' })).length).toBeGreaterThan(0);
    expect(screen.getByText(/choose queues/)).toBeTruthy();
    expect(screen.getByText('No NVIDIA GPU found')).toBeTruthy();
  });

  it('connection line names the server state and what happens meanwhile', () => {
    const snapshot = new ScriptedAgentHost().snapshot;
    expect(connectionLine(snapshot, { state: 'retrying', inMs: 500, reason: 'the agent stopped' })).toEqual({ tone: 'bad', text: 'Agent not reachable: the agent stopped — retrying' });
    expect(connectionLine({ ...snapshot, connection: { ...snapshot.connection, state: 'unreachable', detail: null } }, { state: 'open' }).text).toBe('http://127.0.0.1:8008 unreachable — logs are spooled, retrying');
  });
});

describe('tasks', () => {
  it('abort asks once, naming the task, then stops it', async () => {
    mount('tasks');
    fireEvent.click(await screen.findByRole('button', { name: /Abort/ }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog.textContent).toContain('Abort “resnet50 fine-tune on imagenet-subset (lr sweep 3 of 8)”?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Abort task' }));
    await waitFor(() => expect(callsOf('stopTask')).toEqual([{ taskId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }]));
    expect(await screen.findByText('No task is running')).toBeTruthy();
  });

  it('a failed action shows its message', async () => {
    mount('tasks');
    await screen.findByRole('button', { name: /Abort/ });
    await act(() => useAgentStore.getState().perform('stopTask', { taskId: 'gone' }));
    expect(screen.getByRole('status').textContent).toContain('Failed: task gone is not running here');
  });
});

describe('queues', () => {
  it('reorders with the arrow buttons, picks, and saves names in priority order', async () => {
    mount('queues');
    fireEvent.click(await screen.findByRole('button', { name: 'Move default down' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'cpu-only' }));
    fireEvent.click(screen.getByRole('checkbox', { name: /Fairness/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Save queue choice' }));
    await waitFor(() => expect(callsOf('setQueues')).toEqual([{ queues: ['gpu-long-running-experiments-with-a-very-long-queue-name', 'default', 'cpu-only'], orderFairness: true }]));
  });
});

describe('GPUs', () => {
  it('sends --gpus syntax for the picked devices and null for all', () => {
    const gpus = new ScriptedAgentHost().snapshot.gpus;
    expect(gpusSpec(gpus, new Set([1]))).toBe('1');
    expect(gpusSpec(gpus, new Set([0, 1]))).toBeNull();
  });

  it('shows the foreign process on the idle card and the holder on ours; toggles skip-busy', async () => {
    mount('gpus');
    expect(await screen.findByText(/Running/, { selector: '.holder' })).toBeTruthy();
    fireEvent.click(screen.getByRole('checkbox', { name: /Yield to my own GPU use/ }));
    await waitFor(() => expect(callsOf('setSkipBusyGpus')).toEqual([{ enabled: false }]));
    fireEvent.click(screen.getByRole('checkbox', { name: /GPU 0/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Use these GPUs' }));
    await waitFor(() => expect(callsOf('setGpus')).toEqual([{ gpus: '1' }]));
    expect(screen.getByText('GPUs per task (dynamic mode)')).toBeTruthy();
  });
});

describe('schedule', () => {
  it('marks hours with the keyboard and saves clearml syntax', async () => {
    mount('schedule');
    fireEvent.click(await screen.findByRole('radio', { name: /uptime/ }));
    const first = screen.getByRole('button', { name: 'MON 09:00' });
    fireEvent.keyDown(first, { key: ' ' });
    fireEvent.keyDown(first, { key: 'ArrowRight' });
    fireEvent.keyDown(screen.getByRole('button', { name: 'MON 10:00' }), { key: ' ' });
    const text = screen.getByRole('textbox', { name: /As clearml writes it/ }) as HTMLInputElement;
    expect(text.value).toBe('09-11 MON');
    fireEvent.change(text, { target: { value: '17-20 SUN-TUE' } });
    expect(screen.getByRole('button', { name: 'TUE 19:00' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Save schedule' }));
    await waitFor(() => expect(callsOf('setSchedule')).toEqual([{ uptime: ['17-20 SUN-TUE'], downtime: null }]));
    expect((await screen.findByTestId('schedule-reason')).textContent).toMatch(/uptime 17-20 SUN-TUE/);
  });

  it('refuses to save an entry that does not parse, saying why', async () => {
    mount('schedule');
    fireEvent.click(await screen.findByRole('radio', { name: /downtime/ }));
    fireEvent.change(screen.getByRole('textbox', { name: /As clearml writes it/ }), { target: { value: '17-20 FUNDAY' } });
    expect(screen.getByRole('alert').textContent).toContain('"FUNDAY" is not a day');
    expect((screen.getByRole('button', { name: 'Save schedule' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('logs', () => {
  it('reads the log, appends live lines, searches and jumps', async () => {
    const taskId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    mount('logs', {}, taskId);
    host.appendLog(taskId, 500);
    await act(() => useLogStore.getState().open(taskId));
    host.appendLog(taskId, 100);
    await waitFor(() => expect(screen.getByTestId('log-scroller').getAttribute('data-lines')).toBe('600'));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search the log' }), { target: { value: 'CUDA out of memory' } });
    expect(screen.getByTestId('search-status').textContent).toBe('17 of 17');
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Go to line' }), { target: { value: '5000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Go' }));
    expect(screen.getByRole('alert').textContent).toBe('Line 5,000 is not loaded (lines 1–600 are).');
    expect(useLogStore.getState().follow).toBe(false);
  });

  it('a gap in the live lines is read again from the agent', async () => {
    const taskId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    mount('logs', {}, taskId);
    host.appendLog(taskId, 10);
    await act(() => useLogStore.getState().open(taskId));
    // Ten lines are written while nobody listens (a reconnect), then live lines resume.
    const off = disconnect.pop()!;
    off();
    host.appendLog(taskId, 10);
    disconnect.push(connectLogs(inProcessBridge(host)));
    host.appendLog(taskId, 5);
    await waitFor(() => expect(screen.getByTestId('log-scroller').getAttribute('data-lines')).toBe('25'));
  });
});

describe('more of the window', () => {
  it('the theme button cycles system → light → dark → system', async () => {
    mount('overview');
    const button = await screen.findByRole('button', { name: /^Theme: system/ });
    fireEvent.click(button);
    expect(document.documentElement.dataset['theme']).toBe('light');
    fireEvent.click(screen.getByRole('button', { name: /^Theme: light/ }));
    expect(document.documentElement.dataset['theme']).toBe('dark');
    fireEvent.click(screen.getByRole('button', { name: /^Theme: dark/ }));
    expect(document.documentElement.dataset['theme']).toBeUndefined();
  });

  it('"Load earlier lines" reads the lines before the first one shown', async () => {
    const taskId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    mount('logs', {}, taskId);
    host.appendLog(taskId, 100_050);
    await act(() => useLogStore.getState().open(taskId));
    await waitFor(() => expect(screen.getByTestId('log-scroller').getAttribute('data-lines')).toBe('100000'));
    fireEvent.click(screen.getByRole('button', { name: 'Load earlier lines' }));
    await waitFor(() => expect(screen.getByTestId('log-scroller').getAttribute('data-lines')).toBe('100050'));
    expect(screen.queryByRole('button', { name: 'Load earlier lines' })).toBeNull();
  });

  it('after a reconnect the log reads the lines it missed', async () => {
    const taskId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    host = new ScriptedAgentHost();
    const statusListeners = new Set<(s: { state: 'open' }) => void>();
    const base = inProcessBridge(host);
    const bridge = { ...base, onStatus: (listener: (s: { state: 'open' }) => void) => (statusListeners.add(listener), () => statusListeners.delete(listener)) };
    disconnect = [useAgentStore.getState().connect(bridge as never), connectLogs(bridge as never)];
    useUiStore.setState(parseRoute(routeHash({ view: 'logs', taskId })));
    render(<App />);
    host.appendLog(taskId, 20);
    await act(() => useLogStore.getState().open(taskId));
    // Lines written while the socket was down never arrive as events…
    disconnect.pop()!();
    host.appendLog(taskId, 30);
    disconnect.push(connectLogs(bridge as never));
    // …and are read when it is up again.
    act(() => statusListeners.forEach((listener) => listener({ state: 'open' })));
    await waitFor(() => expect(screen.getByTestId('log-scroller').getAttribute('data-lines')).toBe('50'));
  });
});

describe('setup wizard', () => {
  it('never draws the pasted secret and shows what it understood', async () => {
    const configPath = join(mkdtempSync(join(tmpdir(), 'wizard-')), 'clearml.conf');
    mount('overview', { needsSetup: true, setup: createSetupService({ configPath }) });
    fireEvent.click(await screen.findByRole('button', { name: 'Next' }));
    const secret = 'S3CRET-never-drawn-42';
    const area = screen.getByRole('textbox', { name: 'Paste the credentials block' });
    fireEvent.change(area, { target: { value: `api { api_server: "http://127.0.0.1:1"\n credentials { "access_key" = "AKEY9", "secret_key" = "${secret}" } }` } });
    expect(await screen.findByText('AKEY9')).toBeTruthy();
    expect(area.className).toContain('masked');
    // Outside the (masked) field itself the secret appears nowhere in the page.
    const page = document.body.cloneNode(true) as HTMLElement;
    page.querySelectorAll('textarea').forEach((field) => field.remove());
    expect(page.textContent).not.toContain(secret);
    expect(page.innerHTML).not.toContain(secret);
    expect(screen.getByText(configPath)).toBeTruthy();
  });
});
