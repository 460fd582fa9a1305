// Recovery after a server outage (issue 12): a task printed 100,000 lines while the embedded
// server was down (the server runs in a child process and is SIGKILLed), its run ended, and the
// backlog with the final status waits in the task outbox. The server is started again on the
// same port and data dir; we measure the time from the moment it listens to the moment the last
// delayed line is acknowledged (and then the final status), in two cases:
//   - "agent kept running": the outbox that saw the outage retries (jittered backoff ≤ 5 s);
//   - "agent started after the return": a fresh outbox drains it from its start.
// Each line is checked on the server afterwards: all there, once, in order.
// Prints human lines, then one JSON line with the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '../src-main/engine/api/index.js';
import { createRedactor, openTaskOutbox, type LogEvent, type OutboxServer } from '../src-main/engine/logs/index.js';
import { createTaskRunApi } from '../src-main/engine/task-run/api-adapter.js';

const LINES = Number(process.env.OUTAGE_BENCH_LINES ?? 100_000);
const RUNS = Number(process.env.OUTAGE_BENCH_RUNS ?? 3);
const self = fileURLToPath(import.meta.url);
const LINE = (i: number) => `2026-11-28 10:00:00,000 INFO train.py:88 step ${String(i).padStart(7, '0')} loss=0.${String(i % 99_991).padStart(5, '0')}`;

interface ServerChild {
  child: ChildProcess;
  url: string;
  port: number;
  credentials: { accessKey: string; secretKey: string } | null;
}

async function startServer(port: number, dataDir: string): Promise<ServerChild> {
  for (let attempt = 0; ; attempt++) {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve', String(port), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const info = await new Promise<Omit<ServerChild, 'child'>>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
        child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
      });
      return { child, ...info };
    } catch (error) {
      if (attempt > 20 || !/EADDRINUSE/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const kill = (server: ServerChild) =>
  new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGKILL');
  });

/** The task-run API with a watch on the last line: when did the server acknowledge it, and the status. */
function watchedServer(url: string, credentials: { accessKey: string; secretKey: string }, lastLine: string) {
  const api = createTaskRunApi(createApiClient({ apiServer: url, credentials, maxRetries: 0 }));
  const seen = { lastLineAt: 0, statusAt: 0 };
  const server: OutboxServer = {
    ...api,
    async addLogEvents(events: readonly LogEvent[]) {
      await api.addLogEvents(events);
      if (events.some((e) => e.msg.includes(lastLine))) seen.lastLineAt = performance.now();
    },
    async completed(taskId, change) {
      await api.completed(taskId, change);
      seen.statusAt = performance.now();
    },
  };
  return { server, seen };
}

async function oneRun(root: string, keepAgent: boolean) {
  const dataDir = join(root, `server-${keepAgent ? 'kept' : 'fresh'}`);
  const spoolDir = join(root, `spool-${keepAgent ? 'kept' : 'fresh'}`);
  let server = await startServer(0, dataDir);
  const credentials = server.credentials!;
  const client = createApiClient({ apiServer: server.url, credentials });
  const { id: taskId } = await client.tasks.create({ name: 'outage bench', type: 'training' } as never);
  await client.tasks.started({ task: taskId, force: true });
  const lastLine = LINE(LINES - 1);
  const first = watchedServer(server.url, credentials, lastLine);
  const outbox = openTaskOutbox({ spoolDir, serverUrl: server.url, server: first.server, workerId: 'bench:gpu0' });
  const shipper = outbox.openShipper({ taskId, workerId: 'bench:gpu0', redactor: createRedactor({ secrets: [] }), suppressCarriageReturn: true });
  const port = server.port;
  await kill(server);
  for (let i = 0; i < LINES; ) {
    let chunk = '';
    while (i < LINES && chunk.length < 64 * 1024) chunk += `${LINE(i++)}\n`;
    shipper.writeStdout(chunk);
    await new Promise((r) => setImmediate(r));
  }
  const ended = await shipper.finish({ status: { call: 'completed', statusReason: 'worker execution done', statusMessage: 'bench' }, waitMs: 2000 });
  if (ended.done) throw new Error('the server was down: the run cannot have been delivered');
  // The outage lasts a few more seconds, so the kept agent is deep in its backoff when the server returns.
  await new Promise((r) => setTimeout(r, 8000));
  let watch = first;
  let second: ReturnType<typeof openTaskOutbox> | null = null;
  if (!keepAgent) await outbox.close();
  server = await startServer(port, dataDir);
  const back = performance.now();
  if (!keepAgent) {
    watch = watchedServer(server.url, credentials, lastLine);
    second = openTaskOutbox({ spoolDir, serverUrl: server.url, server: watch.server, workerId: 'bench:other' });
    second.drain();
  }
  const box = second ?? outbox;
  if (!(await box.whenEmpty(300_000))) throw new Error('the backlog was not delivered within 5 minutes');
  await box.close();
  if (keepAgent) await outbox.close();
  const { events } = await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false, order: 'asc' });
  // Count every stored line (getTaskLog pages are capped: page on by timestamp).
  let all = events;
  for (;;) {
    const last = all.at(-1);
    const more = (await client.events.getTaskLog({ task: taskId, batchSize: 10_000, navigateEarlier: false, order: 'asc', fromTimestamp: Number(last?.timestamp ?? 0) })).events.filter(
      (e) => Number(e.timestamp) > Number(last?.timestamp ?? 0),
    );
    if (more.length === 0) break;
    all = [...all, ...more];
  }
  const lines = all.flatMap((e) => (e.msg ?? '').split('\n').slice(0, -1)).filter((l) => l.includes(' step '));
  let outOfOrder = 0;
  for (let i = 0; i < LINES; i++) if (lines[i] !== LINE(i)) outOfOrder++;
  const status = (await client.tasks.getById(taskId)).status;
  await kill(server);
  return {
    lastLineAfterReturnMs: Math.round(watch.seen.lastLineAt - back),
    statusAfterReturnMs: Math.round(watch.seen.statusAt - back),
    storedLines: lines.length,
    wrongOrMissing: outOfOrder + Math.max(0, lines.length - LINES),
    status,
  };
}

async function main() {
  const root = fs.mkdtempSync(join(tmpdir(), 'logs-outage-bench-'));
  const results: Record<string, unknown> = { lines: LINES };
  try {
    for (const keepAgent of [true, false]) {
      const runs = [];
      for (let r = 0; r < RUNS; r++) {
        const run = await oneRun(join(root, `run-${r}`), keepAgent);
        runs.push(run);
        console.log(
          `${keepAgent ? 'agent kept running' : 'agent started after the return'}: last delayed line acknowledged ${run.lastLineAfterReturnMs} ms after the server's return, ` +
            `status ${run.status} after ${run.statusAfterReturnMs} ms; ${run.storedLines} lines stored, ${run.wrongOrMissing} wrong or missing`,
        );
      }
      results[keepAgent ? 'agentKeptRunning' : 'agentStartedAfterReturn'] = runs;
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

if (process.argv[2] === '--serve') {
  const { startEmbeddedServer } = await import('../src-main/server/index.js');
  const server = await startEmbeddedServer({ port: Number(process.argv[3]), dataDir: process.argv[4]! });
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, credentials: server.createdCredentials })}\n`);
} else {
  await main();
}
