// Embedded server under agent-like load: 50 pollers on one queue (25 long-polling with
// wait_ms, 25 polling plainly and pausing 20 ms when the queue is empty) while 8 clients
// enqueue 10,000 tasks. Measures enqueue throughput and get_next_task latency as clients see
// them, and checks every task was handed out exactly once.
// The server runs in a child process (as `tray-agent server` would), so client and server do
// not share one event loop. Prints human lines, then one JSON line with the figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TASKS = Number(process.env.SERVER_BENCH_TASKS ?? 10_000);
const POLLERS = 50;
const ENQUEUERS = 8;
const CREATORS = 16;
const LONG_POLL_WAIT_MS = 1000;
const PLAIN_POLL_PAUSE_MS = 20;

interface ChildInfo {
  url: string;
  accessKey: string;
  secretKey: string;
}

async function serveInThisProcess(dataDir: string): Promise<void> {
  const { startEmbeddedServer } = await import('../src-main/server/index.js');
  const server = await startEmbeddedServer({ dataDir, port: 0 });
  const credentials = server.createdCredentials;
  if (!credentials) throw new Error('fresh data dir without credentials');
  process.stdout.write(`${JSON.stringify({ url: server.url, ...credentials })}\n`);
  process.once('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 128 });

// Response data the bench reads: ids, tokens, queue entries.
interface BenchData {
  id?: string;
  token?: string;
  entry?: { task: string };
}

function post(url: string, endpoint: string, auth: string, body: unknown): Promise<{ status: number; data: BenchData }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/${endpoint}`,
      { method: 'POST', agent, headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: BenchData };
          resolve({ status: res.statusCode ?? 0, data: envelope.data });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function mustPost(url: string, endpoint: string, auth: string, body: unknown): Promise<BenchData> {
  const result = await post(url, endpoint, auth, body);
  if (result.status !== 200) throw new Error(`${endpoint} → HTTP ${result.status}`);
  return result.data;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { count: sorted.length, p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), max_ms: round(sorted.at(-1) ?? 0) };
}

async function startChild(dataDir: string): Promise<{ info: ChildInfo; stop(): Promise<void> }> {
  // SERVER_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server process there.
  const profile = process.env.SERVER_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<ChildInfo>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ChildInfo));
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  return {
    info,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function runBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tray-agent-server-bench-'));
  const { info, stop } = await startChild(dataDir);
  try {
    const basic = `Basic ${Buffer.from(`${info.accessKey}:${info.secretKey}`).toString('base64')}`;
    const token = (await mustPost(info.url, 'auth.login', basic, {})).token as string;
    const auth = `Bearer ${token}`;
    const queue = (await mustPost(info.url, 'queues.create', auth, { name: 'bench-queue' })).id as string;

    console.log(`creating ${TASKS} tasks...`);
    const taskIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATORS }, async () => {
        while (next < TASKS) {
          const index = next++;
          taskIds[index] = (await mustPost(info.url, 'tasks.create', auth, { name: `bench task ${index}`, type: 'training', script: { repository: 'https://example.com/r.git', entry_point: 'train.py' } })).id as string;
        }
      }),
    );

    const handed = new Map<string, number>();
    const plainLatencies: number[] = [];
    const longPollHitLatencies: number[] = [];
    const enqueueLatencies: number[] = [];
    let enqueuingDone = false;

    const poller = async (longPoll: boolean) => {
      for (;;) {
        if (enqueuingDone && handed.size >= TASKS) return;
        const started = performance.now();
        const data = await mustPost(info.url, 'queues.get_next_task', auth, longPoll ? { queue, wait_ms: LONG_POLL_WAIT_MS } : { queue });
        const elapsed = performance.now() - started;
        if (data.entry) {
          handed.set(data.entry.task, (handed.get(data.entry.task) ?? 0) + 1);
          (longPoll ? longPollHitLatencies : plainLatencies).push(elapsed);
        } else {
          if (!longPoll) {
            plainLatencies.push(elapsed);
            await new Promise((resolve) => setTimeout(resolve, PLAIN_POLL_PAUSE_MS));
          }
        }
      }
    };

    console.log(`enqueuing ${TASKS} tasks with ${ENQUEUERS} clients while ${POLLERS} pollers drain the queue...`);
    const pollers = Array.from({ length: POLLERS }, (_, i) => poller(i % 2 === 0));
    let cursor = 0;
    const enqueueStarted = performance.now();
    await Promise.all(
      Array.from({ length: ENQUEUERS }, async () => {
        while (cursor < TASKS) {
          const task = taskIds[cursor++] as string;
          const started = performance.now();
          await mustPost(info.url, 'tasks.enqueue', auth, { task, queue });
          enqueueLatencies.push(performance.now() - started);
        }
      }),
    );
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    enqueuingDone = true;
    await Promise.all(pollers);
    const drainSeconds = (performance.now() - enqueueStarted) / 1000;

    const duplicates = [...handed.values()].filter((count) => count > 1).length;
    const missing = taskIds.filter((id) => !handed.has(id)).length;
    const enqueuePerSec = Math.round(TASKS / enqueueSeconds);
    const plain = summary(plainLatencies);
    const longPoll = summary(longPollHitLatencies);
    const enqueue = summary(enqueueLatencies);
    console.log(`enqueue: ${enqueuePerSec}/s (${TASKS} in ${enqueueSeconds.toFixed(2)} s), latency p50 ${enqueue.p50_ms} ms, p99 ${enqueue.p99_ms} ms`);
    console.log(`get_next_task plain: ${plain.count} calls, p50 ${plain.p50_ms} ms, p99 ${plain.p99_ms} ms, max ${plain.max_ms} ms`);
    console.log(`get_next_task long-poll (calls that got a task): ${longPoll.count}, p50 ${longPoll.p50_ms} ms, p99 ${longPoll.p99_ms} ms`);
    console.log(`handed out ${handed.size}/${TASKS}, duplicates ${duplicates}, missing ${missing}, all drained in ${drainSeconds.toFixed(2)} s`);
    console.log(
      JSON.stringify({
        tasks: TASKS,
        pollers: POLLERS,
        enqueuers: ENQUEUERS,
        enqueue_per_sec: enqueuePerSec,
        enqueue_latency: enqueue,
        get_next_task_plain: plain,
        get_next_task_long_poll_hits: longPoll,
        handed_out: handed.size,
        duplicates,
        missing,
        drain_seconds: Math.round(drainSeconds * 100) / 100,
      }),
    );
    if (duplicates > 0 || missing > 0) process.exitCode = 1;
  } finally {
    agent.destroy();
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  await serveInThisProcess(process.argv[serveIndex + 1] as string);
} else {
  await runBench();
}
