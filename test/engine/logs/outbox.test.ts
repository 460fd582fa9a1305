import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PendingFinalStatus, TaskOutbox, TaskOutboxOptions } from '../../../src-main/engine/logs/index.js';
import { createRedactor, listOutboxTasks, openTaskOutbox } from '../../../src-main/engine/logs/index.js';
import type { RecordingServer } from './recording-server.js';
import { createRecordingServer } from './recording-server.js';
import { until } from '../../helpers/until.js';

const TASK = 'aabbccddeeff00112233445566778899';
const SERVER_URL = 'http://127.0.0.1:8008';
const dirs: string[] = [];
const boxes: TaskOutbox[] = [];

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(7, '0')}`);
const text = (from: number, to: number) => `${numbered(from, to).join('\n')}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function tempSpoolDir(): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'logs-outbox-'));
  dirs.push(dir);
  return join(dir, 'spool');
}

function outbox(server: RecordingServer, spoolDir: string, overrides: Partial<TaskOutboxOptions> = {}): TaskOutbox {
  const box = openTaskOutbox({ spoolDir, serverUrl: SERVER_URL, server, workerId: 'host:drainer', retryDelayMs: () => 5, rescanIntervalMs: 50, ...overrides });
  boxes.push(box);
  return box;
}

const shipperOptions = (taskId: string, workerId = 'host:gpu0') => ({
  taskId,
  workerId,
  redactor: createRedactor({ secrets: [] }),
  suppressCarriageReturn: true,
  flushIntervalMs: 20,
});

const COMPLETED: PendingFinalStatus = {
  call: 'completed',
  statusReason: 'worker execution done',
  statusMessage: 'Changed by Tray Agent host:gpu0',
  runtime: { _tray_agent_phase_timings_ms: { run: 1234 } },
};

/** Task output lines only (agent notes start with "tray-agent:"). */
const taskLines = (server: RecordingServer, taskId = TASK) => server.lines(taskId).filter((l) => !l.startsWith('tray-agent:'));

function expectStatusAfterLastBatch(server: RecordingServer, taskId = TASK): void {
  const kinds = server.calls.map((c) => (c.kind === 'batch' ? (c.events[0]?.task === taskId ? 'batch' : 'other') : c.kind));
  expect(kinds.lastIndexOf('batch')).toBeLessThan(kinds.indexOf('status'));
}

afterEach(async () => {
  for (const box of boxes.splice(0)) await box.close({ waitMs: 1000 });
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('task outbox: a run that ends while the server answers', () => {
  it('reports the final status only after the last log line is acknowledged, then deletes the entry', async () => {
    const server = createRecordingServer();
    server.batchDelayMs = 2;
    const spoolDir = tempSpoolDir();
    const box = outbox(server, spoolDir);
    const shipper = box.openShipper(shipperOptions(TASK));
    shipper.writeStdout(text(0, 20_000));
    shipper.writeStdout('last line without newline');
    const result = await shipper.finish({ status: COMPLETED, waitMs: 10_000 });
    expect(result).toEqual({ done: true, shipped: 20_001, pending: 0, statusError: null, note: null });
    expect(taskLines(server)).toEqual([...numbered(0, 20_000), 'last line without newline']);
    expect(server.statusCalls()).toEqual([
      { kind: 'status', call: 'completed', taskId: TASK, change: { statusReason: 'worker execution done', statusMessage: 'Changed by Tray Agent host:gpu0' } },
    ]);
    expect(server.calls.filter((c) => c.kind === 'runtime')).toEqual([{ kind: 'runtime', taskId: TASK, values: COMPLETED.runtime }]);
    expectStatusAfterLastBatch(server);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('keeps the entry record 0600 while the run is live, naming the worker and the server', async () => {
    const server = createRecordingServer();
    const spoolDir = tempSpoolDir();
    const box = outbox(server, spoolDir);
    const shipper = box.openShipper(shipperOptions(TASK));
    shipper.writeStdout('hello\n');
    await shipper.flush();
    const entryPath = join(spoolDir, `${TASK}.entry.json`);
    expect(fs.statSync(entryPath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(entryPath, 'utf8'))).toMatchObject({ version: 1, taskId: TASK, workerId: 'host:gpu0', server: SERVER_URL });
    expect(await shipper.finish({ status: null, waitMs: 5000 })).toMatchObject({ done: true });
    expect(server.statusCalls()).toEqual([]);
  });
});

describe('task outbox: the server is down when the run ends', () => {
  it('records the status, moves on after the wait, and a later agent of another worker id ships the rest in order, once, then the status', async () => {
    let clock = Date.now();
    const now = () => clock;
    const server = createRecordingServer();
    const spoolDir = tempSpoolDir();
    const first = outbox(server, spoolDir, { workerId: 'host:first', now });
    const shipper = first.openShipper(shipperOptions(TASK));
    shipper.writeStdout(text(0, 1000));
    await shipper.flush();
    expect(taskLines(server)).toHaveLength(1000);

    server.down = true;
    shipper.writeStdout(text(1000, 5000));
    const ended = await shipper.finish({ status: COMPLETED, waitMs: 100 });
    expect(ended).toMatchObject({ done: false, shipped: 1000, pending: 4000, statusError: null });
    expect(ended.note).toMatch(/4000 log lines and the final status \(completed, "worker execution done"\) are kept in the task outbox/);
    await first.close();
    const entry = JSON.parse(fs.readFileSync(join(spoolDir, `${TASK}.entry.json`), 'utf8'));
    expect(entry).toMatchObject({ workerId: 'host:gpu0', server: SERVER_URL, final: { call: 'completed', statusReason: 'worker execution done' } });
    expect(server.statusCalls()).toEqual([]);

    clock += 90_000; // the server stays away for a minute and a half
    const second = outbox(server, spoolDir, { workerId: 'host:second', now });
    second.drain();
    await sleep(100);
    expect(taskLines(server)).toHaveLength(1000); // still down: nothing is dropped, nothing given up
    server.down = false;
    expect(await second.whenEmpty(10_000)).toBe(true);

    expect(taskLines(server)).toEqual(numbered(0, 5000));
    const notes = server.lines(TASK).filter((l) => l.startsWith('tray-agent:'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^tray-agent: 4000 lines delayed by a server outage of 90 s were delivered \(the server did not answer from .+ to .+\)$/);
    expect(server.events(TASK).every((e) => e.worker === 'host:gpu0')).toBe(true);
    const timestamps = server.events(TASK).map((e) => e.timestamp);
    for (let i = 1; i < timestamps.length; i++) expect(timestamps[i]).toBeGreaterThan(timestamps[i - 1]!);
    expect(server.statusCalls()).toHaveLength(1);
    expectStatusAfterLastBatch(server);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('says in the task log how long lines waited when a live run outlasts an outage', async () => {
    let clock = Date.now();
    const server = createRecordingServer();
    const box = outbox(server, tempSpoolDir(), { now: () => clock });
    const shipper = box.openShipper(shipperOptions(TASK));
    shipper.writeStdout(text(0, 10));
    await shipper.flush();
    server.down = true;
    shipper.writeStdout(text(10, 30));
    await until(() => server.failures > 0, 5000, 'a failed delivery', 5);
    clock += 42_000;
    server.down = false;
    shipper.writeStdout(text(30, 40));
    expect(await shipper.finish({ status: COMPLETED, waitMs: 5000 })).toMatchObject({ done: true });
    const lines = server.lines(TASK);
    expect(lines.filter((l) => !l.startsWith('tray-agent:'))).toEqual(numbered(0, 40));
    const note = lines.findIndex((l) => l.startsWith('tray-agent:'));
    expect(lines[note]).toMatch(/^tray-agent: \d+ lines delayed by a server outage of 42 s were delivered/);
  });

  it('does not note a hiccup shorter than 5 s', async () => {
    const server = createRecordingServer();
    const box = outbox(server, tempSpoolDir());
    const shipper = box.openShipper(shipperOptions(TASK));
    server.down = true;
    shipper.writeStdout(text(0, 10));
    await until(() => server.failures > 1, 5000, 'two failed deliveries', 5);
    server.down = false;
    await shipper.finish({ status: COMPLETED, waitMs: 5000 });
    expect(server.lines(TASK)).toEqual(numbered(0, 10));
  });

  it('a status-only entry (no log could be kept) is reported once the server answers', async () => {
    const server = createRecordingServer();
    server.down = true;
    const spoolDir = tempSpoolDir();
    const first = outbox(server, spoolDir);
    expect(await first.finishWithoutLog(TASK, 'host:gpu0', { status: COMPLETED, waitMs: 50 })).toMatchObject({ done: false });
    await first.close();
    expect(await listOutboxTasks(spoolDir)).toEqual([TASK]);
    server.down = false;
    const second = outbox(server, spoolDir);
    second.drain();
    expect(await second.whenEmpty(5000)).toBe(true);
    expect(server.statusCalls(TASK).map((c) => c.call)).toEqual(['completed']);
  });

  it('the wait ends early when the agent is stopped (signal), and the entry stays', async () => {
    const server = createRecordingServer();
    server.down = true;
    const spoolDir = tempSpoolDir();
    const box = outbox(server, spoolDir);
    const shipper = box.openShipper(shipperOptions(TASK));
    shipper.writeStdout(text(0, 100));
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    const result = await shipper.finish({ status: COMPLETED, waitMs: 60_000, signal: stop.signal });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({ done: false, pending: 100 });
    await box.close();
    expect(await listOutboxTasks(spoolDir)).toEqual([TASK]);
  });

  it('a stopping agent (handOverWhenUnreachable) leaves at once when the server does not answer, but waits for one that does', async () => {
    const server = createRecordingServer();
    server.down = true;
    const box = outbox(server, tempSpoolDir(), { retryDelayMs: () => 2000 });
    const down = box.openShipper(shipperOptions(TASK));
    down.writeStdout(text(0, 10));
    const started = Date.now();
    expect(await down.finish({ status: COMPLETED, waitMs: 5000, handOverWhenUnreachable: true })).toMatchObject({ done: false, pending: 10 });
    expect(Date.now() - started).toBeLessThan(1000);

    const up = createRecordingServer();
    up.batchDelayMs = 300;
    const other = 'bbbbccccddddeeeeffff000011112222';
    const healthy = outbox(up, tempSpoolDir()).openShipper(shipperOptions(other));
    healthy.writeStdout(text(0, 10));
    expect(await healthy.finish({ status: COMPLETED, waitMs: 5000, handOverWhenUnreachable: true })).toMatchObject({ done: true });
    expect(up.statusCalls(other)).toHaveLength(1);
  });
});

describe('task outbox: whose entries, and what the server refuses', () => {
  it('a task that runs again here ships its old lines first and drops the old run’s pending status, saying so', async () => {
    const server = createRecordingServer();
    server.down = true;
    const spoolDir = tempSpoolDir();
    const first = outbox(server, spoolDir);
    const old = first.openShipper(shipperOptions(TASK));
    old.writeStdout('from the first run\n');
    await old.finish({ status: { ...COMPLETED, call: 'failed', statusReason: 'worker execution exit code 1' }, waitMs: 20 });
    await first.close();
    server.down = false;
    const second = outbox(server, spoolDir);
    second.drain();
    const rerun = second.openShipper(shipperOptions(TASK));
    rerun.writeStdout('from the second run\n');
    expect(await rerun.finish({ status: COMPLETED, waitMs: 5000 })).toMatchObject({ done: true });
    const lines = server.lines(TASK);
    expect(lines.filter((l) => l.startsWith('from'))).toEqual(['from the first run', 'from the second run']);
    expect(lines.some((l) => /an earlier run of this task ended \(failed, "worker execution exit code 1"\).*not reported/.test(l))).toBe(true);
    expect(server.statusCalls(TASK).map((c) => c.call)).toEqual(['completed']);
  });

  it('leaves an entry of another API server alone', async () => {
    const server = createRecordingServer();
    server.down = true;
    const spoolDir = tempSpoolDir();
    const first = outbox(server, spoolDir, { serverUrl: 'https://api.clear.ml' });
    const shipper = first.openShipper(shipperOptions(TASK));
    shipper.writeStdout('for the hosted server\n');
    await shipper.finish({ status: COMPLETED, waitMs: 20 });
    await first.close();
    server.down = false;
    const local = outbox(server, spoolDir, { serverUrl: `${SERVER_URL}/` });
    local.drain();
    expect(await local.whenEmpty(2000)).toBe(true);
    expect(server.calls).toEqual([]);
    expect(await listOutboxTasks(spoolDir)).toEqual([TASK]);
    const same = outbox(server, spoolDir, { serverUrl: 'HTTPS://api.clear.ml/' });
    same.drain();
    expect(await same.whenEmpty(5000)).toBe(true);
    expect(server.lines(TASK)).toEqual(['for the hosted server']);
  });

  it('drops batches the server refuses for good (HTTP 400) after three tries, says so, and ends the entry', async () => {
    const server = createRecordingServer();
    server.refuseEvents = true;
    server.refuseStatus = true;
    const logs: string[] = [];
    const spoolDir = tempSpoolDir();
    const box = outbox(server, spoolDir, { log: (l) => logs.push(l) });
    const shipper = box.openShipper(shipperOptions(TASK));
    shipper.writeStdout(text(0, 50));
    const result = await shipper.finish({ status: COMPLETED, waitMs: 5000 });
    expect(result).toMatchObject({ done: true, statusError: expect.stringMatching(/invalid task status/) });
    expect(logs.join('\n')).toMatch(/the server refused 50 lines 3 times .* they are dropped/);
    expect(logs.join('\n')).toMatch(/refused the final status completed/);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });
});
