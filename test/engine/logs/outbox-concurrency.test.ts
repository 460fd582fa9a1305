// Two agents on one machine (say, a daemon per GPU) start at the same time and both drain the
// task outbox: every entry is shipped by exactly one of them — each line once, in order, then
// one status call — because each entry is shipped under its spool lock.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { LogEvent } from '../../../src-main/engine/logs/index.js';
import { createRedactor, listOutboxTasks, openTaskOutbox } from '../../../src-main/engine/logs/index.js';
import { createRecordingServer } from './recording-server.js';

const TASKS = Array.from({ length: 6 }, (_, i) => `${String(i).repeat(8)}aaaabbbbccccddddeeeeffff`);
const LINES = 100_000;
let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const numbered = (task: number, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `task ${task} line ${String(from + i).padStart(6, '0')}`);

function drainer(spoolDir: string, acceptedFile: string, name: string, goFile: string, onReady: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'outbox-drainer.ts'), spoolDir, acceptedFile, name, goFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) onReady();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`drainer ${name} exited with ${code}: ${out}`))));
  });
}

it('two agents draining one outbox at once ship every entry exactly once', async () => {
  dir = fs.mkdtempSync(join(tmpdir(), 'logs-outbox-two-'));
  const spoolDir = join(dir, 'spool');
  // One file per agent: two processes appending megabytes to one file would interleave.
  const acceptedFile = (name: string) => join(dir, `accepted-${name}.jsonl`);
  // Six runs that ended while the server was down: their logs and statuses wait in the outbox.
  const down = createRecordingServer();
  down.down = true;
  const box = openTaskOutbox({ spoolDir, serverUrl: 'http://127.0.0.1:8008', server: down, workerId: 'host:gpu0', retryDelayMs: () => 5 });
  for (const [i, taskId] of TASKS.entries()) {
    const shipper = box.openShipper({ taskId, workerId: `host:gpu${i}`, redactor: createRedactor({ secrets: [] }), suppressCarriageReturn: true });
    shipper.writeStdout(`${numbered(i, 0, LINES).join('\n')}\n`);
    await shipper.finish({ status: { call: 'completed', statusReason: 'worker execution done', statusMessage: `run ${i}` }, waitMs: 0 });
  }
  await box.close();
  expect(await listOutboxTasks(spoolDir)).toEqual([...TASKS].sort());

  const goFile = join(dir, 'go');
  let ready = 0;
  const onReady = () => {
    if (++ready === 2) fs.writeFileSync(goFile, '');
  };
  const outputs = await Promise.all([drainer(spoolDir, acceptedFile('A'), 'A', goFile, onReady), drainer(spoolDir, acceptedFile('B'), 'B', goFile, onReady)]);
  expect(outputs.map((o) => o.trim())).toEqual(['ready\nempty', 'ready\nempty']);
  expect(fs.readdirSync(spoolDir)).toEqual([]);

  const records = ['A', 'B'].flatMap((name) =>
    fs.existsSync(acceptedFile(name))
      ? fs.readFileSync(acceptedFile(name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { drainer: string; kind: string; events?: LogEvent[]; taskId?: string; call?: string })
      : [],
  );
  for (const [i, taskId] of TASKS.entries()) {
    const batches = records.filter((r) => r.kind === 'batch' && r.events![0]!.task === taskId);
    const statuses = records.filter((r) => r.kind === 'status' && r.taskId === taskId);
    expect(new Set([...batches, ...statuses].map((r) => r.drainer)).size).toBe(1); // one agent owned it
    const lines = batches.flatMap((b) => b.events!.flatMap((e) => e.msg.split('\n').slice(0, -1)));
    // Held longer than the outbox's notice threshold (a loaded machine writes 600,000 lines slowly),
    // the delivery ends with its note that the lines were delayed; nothing else is added.
    if (lines.at(-1)?.startsWith('tray-agent: ')) expect(lines.pop()).toMatch(/^tray-agent: 100000 lines delayed by a server outage of \d+ s were delivered/);
    expect(lines).toEqual(numbered(i, 0, LINES));
    expect(statuses.map((s) => s.call)).toEqual(['completed']);
    expect(records.indexOf(statuses[0]!)).toBeGreaterThan(records.indexOf(batches.at(-1)!));
  }
  // Both took part (the entries were shared out, not shipped twice).
  expect(new Set(records.map((r) => r.drainer))).toEqual(new Set(['A', 'B']));
}, 120_000);
