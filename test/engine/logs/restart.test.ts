// An agent killed mid-task (SIGKILL, no chance to clean up) loses no line: the next agent finds
// the spool and ships the rest from the saved cursor, without repeating what was shipped.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { LogEvent } from '../../../src-main/engine/logs/index.js';
import { listSpooledTasks, openTaskOutbox, resumeSpool } from '../../../src-main/engine/logs/index.js';
import { createRecordingServer } from './recording-server.js';
import { createRecordingSink } from './recording-sink.js';

const TASK = '0123456789abcdef0123456789abcdef';
// About 2.6 MB of output: several 1 MiB batches, so the kill lands between two of them.
const LINES = 200_000;
let dir = '';

afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function runUntilReady(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crashing-agent.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`crashing agent exited with ${code}: ${stderr}`));
    });
  });
}

it('a restarted agent ships the rest of a killed agent’s spool from the cursor, every line exactly once', async () => {
  dir = fs.mkdtempSync(join(tmpdir(), 'logs-restart-'));
  const spoolDir = join(dir, 'spool');
  const acceptedFile = join(dir, 'accepted.jsonl');
  await runUntilReady([spoolDir, TASK, acceptedFile, String(LINES), '1']);

  const before: LogEvent[] = fs
    .readFileSync(acceptedFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogEvent);
  const linesBefore = before.flatMap((e) => e.msg.split('\n').slice(0, -1));
  expect(linesBefore.length).toBeGreaterThan(0);
  expect(linesBefore.length).toBeLessThan(LINES);
  expect(await listSpooledTasks(spoolDir)).toEqual([TASK]);

  const sink = createRecordingSink();
  const result = await resumeSpool({ spoolDir, taskId: TASK, workerId: 'restarted-agent', sink });
  expect(result).toEqual({ shipped: LINES - linesBefore.length, pending: 0 });
  const expected = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(7, '0')}`);
  expect([...linesBefore, ...sink.lines()]).toEqual(expected);
  const timestamps = [...before, ...sink.events].map((e) => e.timestamp);
  for (let i = 1; i < timestamps.length; i++) expect(timestamps[i]).toBeGreaterThan(timestamps[i - 1]!);
  expect(fs.readdirSync(spoolDir)).toEqual([]);
});

it('the task outbox of any later agent ships a killed agent’s spool (no final status: the reaper decides it)', async () => {
  dir = fs.mkdtempSync(join(tmpdir(), 'logs-restart-outbox-'));
  const spoolDir = join(dir, 'spool');
  const acceptedFile = join(dir, 'accepted.jsonl');
  await runUntilReady([spoolDir, TASK, acceptedFile, String(LINES), '1']);
  const linesBefore = fs
    .readFileSync(acceptedFile, 'utf8')
    .trim()
    .split('\n')
    .flatMap((l) => (JSON.parse(l) as LogEvent).msg.split('\n').slice(0, -1));

  const server = createRecordingServer();
  const outbox = openTaskOutbox({ spoolDir, serverUrl: 'http://127.0.0.1:8008', server, workerId: 'host:other-worker', retryDelayMs: () => 5 });
  try {
    outbox.drain();
    expect(await outbox.whenEmpty(30_000)).toBe(true);
  } finally {
    await outbox.close();
  }
  const expected = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(7, '0')}`);
  expect([...linesBefore, ...server.lines(TASK)]).toEqual(expected);
  expect(server.events(TASK).every((e) => e.worker === 'host:other-worker')).toBe(true);
  expect(server.statusCalls()).toEqual([]);
  expect(fs.readdirSync(spoolDir)).toEqual([]);
});
