import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogShipper, LogShipperOptions } from '../../../src-main/engine/logs/index.js';
import {
  LogShipperError,
  MASK,
  createLogShipper,
  createRedactor,
  listSpooledTasks,
  resumeSpool,
} from '../../../src-main/engine/logs/index.js';
import type { RecordingSink } from './recording-sink.js';
import { createRecordingSink } from './recording-sink.js';
import { until } from '../../helpers/until.js';

const TASK = 'aabbccddeeff00112233445566778899';
const dirs: string[] = [];
const open: LogShipper[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'logs-test-'));
  dirs.push(dir);
  return join(dir, 'spool');
}

function shipper(sink: RecordingSink, overrides: Partial<LogShipperOptions> = {}): LogShipper {
  const s = createLogShipper({
    taskId: TASK,
    workerId: 'host:gpu0',
    spoolDir: overrides.spoolDir ?? tempDir(),
    sink,
    redactor: createRedactor({ secrets: [] }),
    suppressCarriageReturn: true,
    flushIntervalMs: 20,
    retryDelayMs: () => 5,
    ...overrides,
  });
  open.push(s);
  return s;
}

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(7, '0')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function expectStrictlyIncreasingTimestamps(sink: RecordingSink): void {
  const ts = sink.events.map((e) => e.timestamp);
  for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]!);
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close({ timeoutMs: 100 });
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createLogShipper', () => {
  it('ships stdout and stderr in arrival order as debug, agent lines with their level (ClearML lower-case names), then deletes the spool', async () => {
    const sink = createRecordingSink();
    const spoolDir = tempDir();
    const s = shipper(sink, { spoolDir });
    s.agentLine('INFO', 'task pulled by worker host:gpu0');
    s.writeStdout(Buffer.from('out 1\nout '));
    s.writeStderr('err 1\n');
    s.writeStdout('2\n');
    s.agentLine('ERROR', 'Process aborted by user');
    expect(await s.close()).toEqual({ shipped: 5, pending: 0 });
    expect(sink.events.map((e) => [e.level, e.msg])).toEqual([
      ['info', 'task pulled by worker host:gpu0\n'],
      ['debug', 'out 1\nerr 1\nout 2\n'],
      ['error', 'Process aborted by user\n'],
    ]);
    expect(sink.events[0]).toMatchObject({ type: 'log', task: TASK, worker: 'host:gpu0' });
    expectStrictlyIncreasingTimestamps(sink);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('keeps every line, once and in order, through a sink outage and recovery', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink);
    s.writeStdout(numbered(0, 5000).join('\n') + '\n');
    await s.flush();
    sink.failing = true;
    for (let i = 5000; i < 30_000; i += 1000) s.writeStdout(numbered(i, i + 1000).join('\n') + '\n');
    await s.flush(); // returns on the first failed attempt
    const during = s.stats();
    expect(during.consecutiveFailures).toBeGreaterThan(0);
    expect(during.lastError).toContain('simulated outage');
    expect(during.pendingLines).toBe(25_000);
    await sleep(50);
    sink.failing = false;
    s.writeStdout(numbered(30_000, 31_000).join('\n') + '\n');
    expect(await s.close()).toEqual({ shipped: 31_000, pending: 0 });
    expect(sink.lines()).toEqual(numbered(0, 31_000));
    expect(sink.failures).toBeGreaterThan(0);
    expectStrictlyIncreasingTimestamps(sink);
  });

  it('emits a line without newline after the flush interval, collapsing \\r progress updates', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink);
    s.writeStdout('Epoch 1\n');
    s.writeStdout('\r 10%|#         |');
    s.writeStdout('\r 20%|##        |');
    await sink.waitForLines(2);
    expect(sink.lines()).toEqual(['Epoch 1', ' 20%|##        |']);
    s.writeStdout('\r100%|##########|\n');
    s.writeStdout('done\x08!\n\x1b[0m\n');
    await s.close();
    expect(sink.lines()).toEqual(['Epoch 1', ' 20%|##        |', '100%|##########|', 'done!']);
  });

  it('turns \\r into line ends when suppressCarriageReturn is off', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink, { suppressCarriageReturn: false });
    s.writeStdout('a\rb\r\nc\n');
    await s.close();
    expect(sink.lines()).toEqual(['a', 'b', 'c']);
  });

  it('decodes a UTF-8 character split across two chunks', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink);
    const bytes = Buffer.from('größe €\n');
    s.writeStdout(bytes.subarray(0, 3));
    s.writeStdout(bytes.subarray(3));
    await s.close();
    expect(sink.lines()).toEqual(['größe €']);
  });

  it('splits a line longer than 64 KiB into messages below 64 KiB', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink);
    const long = 'ä'.repeat(150_000);
    s.writeStdout(`${long}\nafter\n`);
    await s.close();
    for (const e of sink.events) expect(Buffer.byteLength(e.msg)).toBeLessThan(64 * 1024);
    expect(sink.events.length).toBeGreaterThan(4);
    expect(sink.lines().join('')).toBe(`${long}after`);
  });

  it('keeps each request within 1 MiB of JSON lines', async () => {
    const sink = createRecordingSink();
    const s = shipper(sink);
    const line = 'x'.repeat(199);
    for (let i = 0; i < 5; i++) s.writeStdout(`${line}\n`.repeat(5000)); // 5 MiB
    await s.close();
    expect(sink.batches.length).toBeGreaterThanOrEqual(5);
    for (const batch of sink.batches) {
      const body = batch.map((e) => `${JSON.stringify(e)}\n`).join('');
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(sink.lines()).toHaveLength(25_000);
  });

  it('redacts secrets before the spool: exact values, URL passwords, secret env values, a secret split across writes', async () => {
    const sink = createRecordingSink();
    sink.failing = true;
    const spoolDir = tempDir();
    const s = shipper(sink, {
      spoolDir,
      redactor: createRedactor({ secrets: ['clearml-secret-key', 'ghp_gitTOKEN123'], env: { WANDB_API_KEY: 'wandb-k3y-value', LANG: 'C.UTF-8' } }),
    });
    s.writeStdout('api secret clearml-sec');
    s.writeStdout('ret-key in use\n');
    s.writeStdout('cloning https://alice:ghp_git');
    // The unfinished line goes out once it waited a flush interval (its unsafe tail stays behind).
    await until(() => s.stats().spooledLines === 2, 5000, 'two spooled lines', 5);
    s.writeStdout('TOKEN123@github.com/org/repo.git\n');
    s.writeStderr('wandb: key=wandb-k3y-value lang=C.UTF-8\n');
    s.writeStdout('pip install git+https://bob:pa55w0rd@git.example.com/x.git\n');
    s.agentLine('INFO', 'git pass ghp_gitTOKEN123');
    await s.flush();
    const spooled = fs.readFileSync(join(spoolDir, `${TASK}.spool`), 'utf8');
    for (const secret of ['clearml-secret-key', 'ghp_gitTOKEN123', 'ghp_git', 'TOKEN123', 'wandb-k3y-value', 'pa55w0rd']) {
      expect(spooled).not.toContain(secret);
    }
    sink.failing = false;
    await s.close();
    const text = sink.lines().join('\n');
    expect(text).toBe(
      [
        `api secret ${MASK} in use`,
        'cloning https',
        `://alice:${MASK}@github.com/org/repo.git`,
        `wandb: key=${MASK} lang=C.UTF-8`,
        `pip install git+https://bob:${MASK}@git.example.com/x.git`,
        `git pass ${MASK}`,
      ].join('\n'),
    );
  });

  it('creates the spool folder 0700 and the spool and cursor files 0600', async () => {
    const sink = createRecordingSink();
    const spoolDir = tempDir();
    const s = shipper(sink, { spoolDir });
    s.writeStdout('hello\n');
    await s.flush();
    expect(fs.statSync(spoolDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(join(spoolDir, `${TASK}.spool`)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(join(spoolDir, `${TASK}.cursor.json`)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(join(spoolDir, `${TASK}.cursor.json`), 'utf8'))).toMatchObject({ shippedLines: 1 });
  });

  it('holds only a few MB in memory while 200,000 lines go through a slow sink', async () => {
    const sink = createRecordingSink();
    const slowSink = { addBatch: async (events: Parameters<RecordingSink['addBatch']>[0]) => { await sleep(30); await sink.addBatch(events); } };
    const s = shipper(createRecordingSink(), { sink: slowSink });
    const chunk = numbered(0, 1000).map((l) => `${l} ${'.'.repeat(40)}`).join('\n') + '\n';
    let peakSpoolLag = 0;
    for (let i = 0; i < 200; i++) {
      s.writeStdout(chunk);
      await sleep(0); // one pipe-sized read per event-loop turn, as from a child
      const st = s.stats();
      peakSpoolLag = Math.max(peakSpoolLag, st.spoolBytes - st.shippedBytes);
    }
    expect(await s.close({ timeoutMs: 20_000 })).toEqual({ shipped: 200_000, pending: 0 });
    const stats = s.stats();
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(peakSpoolLag).toBeGreaterThan(stats.peakBufferedBytes); // the backlog sat on disk, not in memory
    expect(sink.lines()).toHaveLength(200_000);
  });

  it('a second shipper for a spool in use waits for it (saying so) and ships after the first is done', async () => {
    const spoolDir = tempDir();
    const firstSink = createRecordingSink();
    const first = shipper(firstSink, { spoolDir });
    first.writeStdout('first\n');
    await first.flush();
    const logs: string[] = [];
    const secondSink = createRecordingSink();
    const second = shipper(secondSink, { spoolDir, log: (l) => logs.push(l) });
    second.writeStdout('second\n');
    await until(() => logs.some((l) => /in use by process \d+; waiting/.test(l)), 5000, 'the lock-wait log line', 5);
    expect(secondSink.lines()).toEqual([]);
    await first.close();
    expect(await second.close()).toEqual({ shipped: 1, pending: 0 });
    expect([...firstSink.lines(), ...secondSink.lines()]).toEqual(['first', 'second']);
  });

  it('keeps at most 32 MiB in memory while the spool is locked, and says in the task log how much was lost beyond it', async () => {
    const spoolDir = tempDir();
    const first = shipper(createRecordingSink(), { spoolDir });
    await first.flush();
    const sink = createRecordingSink();
    const second = shipper(sink, { spoolDir });
    const line = `${'x'.repeat(1023)}\n`; // 1 KiB
    for (let i = 0; i < 34 * 1024; i++) second.writeStdout(line);
    expect(second.stats().bufferedBytes).toBeLessThanOrEqual(32 * 1024 * 1024 + 64 * 1024);
    await first.close();
    await second.close({ timeoutMs: 30_000 });
    const lines = sink.lines();
    const kept = lines.filter((l) => l.startsWith('x')).length;
    expect(kept).toBeGreaterThanOrEqual(32 * 1024 - 64);
    expect(kept).toBeLessThan(34 * 1024);
    expect(lines.at(-1)).toMatch(new RegExp(`^tray-agent: ${34 * 1024 - kept} lines \\(\\d+ bytes\\) of output were lost here: they arrived while the log spool was still locked$`));
  });

  it('reports a spool folder it cannot use in the agent log and in stats, and never throws at the task', async () => {
    const dir = tempDir();
    fs.mkdirSync(join(dir, '..'), { recursive: true });
    fs.writeFileSync(dir, 'a file where the spool folder should be');
    const logs: string[] = [];
    const s = shipper(createRecordingSink(), { spoolDir: join(dir, 'spool'), log: (l) => logs.push(l) });
    s.writeStdout('lost\n');
    await s.flush();
    expect(logs.join('\n')).toMatch(/cannot use .* as the log spool folder .*agent\.spool_dir/);
    expect(s.stats().lastError).toMatch(/cannot use .* as the log spool folder/);
    expect(await s.close()).toEqual({ shipped: 0, pending: 0 });
  });

  it('refuses to resume a spool a live shipper holds, naming the holder', async () => {
    const spoolDir = tempDir();
    const s = shipper(createRecordingSink(), { spoolDir });
    await s.flush();
    await expect(resumeSpool({ spoolDir, taskId: TASK, workerId: 'w', sink: createRecordingSink() })).rejects.toThrow(/in use by process \d+ \(this agent\)/);
  });

  it('rejects bad options with a message that says what to change', () => {
    expect(() => shipper(createRecordingSink(), { maxBatchBytes: 1000 })).toThrow(LogShipperError);
    expect(() => shipper(createRecordingSink(), { maxBatchBytes: 1000 })).toThrow(/maxBatchBytes 1000 is too small/);
    expect(() => shipper(createRecordingSink(), { taskId: '../etc/passwd' })).toThrow(/cannot name a log spool file/);
    expect(() => shipper(createRecordingSink(), { workerId: '' })).toThrow(/workerId/);
    expect(() => shipper(createRecordingSink(), { flushIntervalMs: 0 })).toThrow(/flushIntervalMs/);
  });
});

describe('close timeout and resuming a spool', () => {
  it('close() gives up after its timeout and keeps the rest; resumeSpool ships it from the cursor without duplicates', async () => {
    const spoolDir = tempDir();
    const sink = createRecordingSink();
    const s = shipper(sink, { spoolDir });
    s.writeStdout(numbered(0, 3000).join('\n') + '\n');
    await s.flush();
    sink.failing = true;
    s.writeStdout(numbered(3000, 8000).join('\n') + '\n');
    s.writeStdout('unfinished last line');
    expect(await s.close({ timeoutMs: 100 })).toEqual({ shipped: 3000, pending: 5001 });
    expect((await listSpooledTasks(spoolDir))).toEqual([TASK]);

    const resumed = createRecordingSink();
    const logs: string[] = [];
    await sleep(20); // the last attempt of the closed shipper settles and frees the lock
    expect(await resumeSpool({ spoolDir, taskId: TASK, workerId: 'host:gpu0', sink: resumed, log: (l) => logs.push(l) })).toEqual({
      shipped: 5001,
      pending: 0,
    });
    expect([...sink.lines(), ...resumed.lines()]).toEqual([...numbered(0, 8000), 'unfinished last line']);
    expect(resumed.events[0]!.timestamp).toBeGreaterThan(sink.events.at(-1)!.timestamp);
    expect((await listSpooledTasks(spoolDir))).toEqual([]);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('resumeSpool with a timeout leaves what it could not ship', async () => {
    const spoolDir = tempDir();
    const s = shipper(createRecordingSink({ failFirst: 1_000_000 }), { spoolDir });
    s.writeStdout('kept\n');
    expect(await s.close({ timeoutMs: 30 })).toMatchObject({ pending: 1 });
    await sleep(20);
    const down = createRecordingSink();
    down.failing = true;
    expect(await resumeSpool({ spoolDir, taskId: TASK, workerId: 'w', sink: down, timeoutMs: 50, retryDelayMs: () => 5 })).toEqual({
      shipped: 0,
      pending: 1,
    });
    expect((await listSpooledTasks(spoolDir))).toEqual([TASK]);
  });

  it('drops a block cut off by a crash, says so, and appends after the last whole block', async () => {
    const spoolDir = tempDir();
    const first = shipper(createRecordingSink({ failFirst: 1_000_000 }), { spoolDir });
    first.writeStdout('whole line\n');
    await first.close({ timeoutMs: 30 });
    await sleep(20);
    fs.appendFileSync(join(spoolDir, `${TASK}.spool`), '\x1eD1764324000000 500 3\nhalf of a blo');
    const sink = createRecordingSink();
    const logs: string[] = [];
    const second = shipper(sink, { spoolDir, log: (l) => logs.push(l) });
    second.writeStdout('new line\n');
    expect(await second.close()).toEqual({ shipped: 2, pending: 0 });
    expect(sink.lines()).toEqual(['whole line', 'new line']);
    expect(logs.join('\n')).toMatch(/bytes at its end are cut off \(the agent stopped mid-write\) and are dropped/);
  });

  it('ignores output written after close() and says so once', async () => {
    const sink = createRecordingSink();
    const logs: string[] = [];
    const s = shipper(sink, { log: (l) => logs.push(l) });
    s.writeStdout('before\n');
    await s.close();
    s.writeStdout('after\n');
    s.writeStderr('after\n');
    s.agentLine('INFO', 'after');
    expect(sink.lines()).toEqual(['before']);
    expect(logs.filter((l) => l.includes('after close()'))).toHaveLength(1);
  });

  it('a new shipper for the same task ships the old spool first, then the new output', async () => {
    const spoolDir = tempDir();
    const first = shipper(createRecordingSink({ failFirst: 1_000_000 }), { spoolDir });
    first.writeStdout('from the first run\n');
    await first.close({ timeoutMs: 30 });
    await sleep(20);
    const sink = createRecordingSink();
    const second = shipper(sink, { spoolDir });
    second.writeStdout('from the second run\n');
    expect(await second.close()).toEqual({ shipped: 2, pending: 0 });
    expect(sink.lines()).toEqual(['from the first run', 'from the second run']);
  });
});
