// Embedded server under agent-like load: 50 pollers on one queue (25 long-polling with
// wait_ms, 25 polling plainly and pausing 20 ms when the queue is empty) while 8 clients
// enqueue 10,000 tasks. Measures enqueue throughput and latency, get_next_task latency, and
// the hand-off time (enqueue sent → a poller holds the task); checks every task was handed
// out exactly once.
// For scale it first measures the machine's HTTP floor: a bare node:http server answering a
// fixed envelope, driven by the same client at the same concurrency.
// Then the files server: one SDK-style multipart upload of SERVER_BENCH_FILE_MB (64) MiB and its
// download, with the server process's peak memory.
// Servers run in a child process (as `tray-agent server` does), so client and server do not
// share an event loop. Prints human lines, then one JSON line with the figures.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
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
const FILE_MB = Number(process.env.SERVER_BENCH_FILE_MB ?? 64);

interface ChildInfo {
  url: string;
  filesUrl?: string;
  accessKey?: string;
  secretKey?: string;
}

/** Child mode: `--serve DIR` runs the embedded server, `--serve-bare` the HTTP floor. */
async function serveInThisProcess(mode: 'embedded' | 'bare', dataDir: string): Promise<void> {
  const wallStart = performance.now();
  let close: () => Promise<void>;
  // Server-side time per call (arrival → answer written), by endpoint as the client named it.
  const served = new Map<string, number[]>();
  if (mode === 'embedded') {
    const { startEmbeddedServer } = await import('../src-main/server/index.js');
    const server = await startEmbeddedServer({
      dataDir,
      port: 0,
      onCallServed: (call) => {
        const key = `${call.requestedVersion}/${call.endpoint}`;
        const list = served.get(key) ?? [];
        list.push(call.durationMs);
        served.set(key, list);
      },
    });
    if (!server.createdCredentials) throw new Error('fresh data dir without credentials');
    process.stdout.write(`${JSON.stringify({ url: server.url, filesUrl: server.filesUrl, ...server.createdCredentials })}\n`);
    close = () => server.close();
  } else {
    const body = JSON.stringify({ meta: { id: '0'.repeat(32), result_code: 200, result_subcode: 0, result_msg: 'OK' }, data: {} });
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
    close = () => new Promise((resolve) => server.close(() => resolve()));
  }
  process.on('message', (message) => {
    if (message !== 'served') return;
    const figures: Record<string, unknown> = Object.fromEntries([...served].map(([key, samples]) => [key, summary(samples)]));
    figures['max_rss_mb'] = Math.round(process.resourceUsage().maxRSS / 1024);
    process.send?.(figures);
  });
  process.once('SIGTERM', () => {
    const cpu = process.cpuUsage();
    const wall = performance.now() - wallStart;
    process.stderr.write(`  (${mode} server process: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU over ${wall.toFixed(0)} ms)\n`);
    setTimeout(() => process.exit(0), 3000).unref();
    void close().then(() => process.exit(0));
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

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) : 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { count: sorted.length, p50_ms: round(at(50)), p99_ms: round(at(99)), max_ms: round(sorted.at(-1) ?? 0) };
}

type ServedSummary = Record<string, ReturnType<typeof summary>> & { max_rss_mb?: number };

async function startChild(args: string[]): Promise<{ info: ChildInfo; served(): Promise<ServedSummary>; stop(): Promise<void> }> {
  // SERVER_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server process there.
  const profile = process.env.SERVER_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  if (!child.stdout) throw new Error('server process has no stdout');
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<ChildInfo>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ChildInfo));
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  return {
    info,
    served: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve(message as ServedSummary));
        child.send('served');
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The same client at the same concurrency against a server that does nothing. */
async function measureHttpFloor() {
  const { info, stop } = await startChild(['--serve-bare']);
  try {
    const latencies: number[] = [];
    let sent = 0;
    const total = TASKS * 2;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: POLLERS + ENQUEUERS }, async () => {
        while (sent < total) {
          sent++;
          const callStarted = performance.now();
          await mustPost(info.url, 'queues.get_next_task', '', { queue: 'x' });
          latencies.push(performance.now() - callStarted);
        }
      }),
    );
    const perSec = Math.round(total / ((performance.now() - started) / 1000));
    return { requests_per_sec: perSec, latency: summary(latencies) };
  } finally {
    await stop();
  }
}

/** One multipart upload the way the SDK sends it, then the download, byte-compared. */
async function measureFiles(filesUrl: string, auth: string) {
  const content = randomBytes(FILE_MB * 1024 * 1024);
  const path = 'bench/task.0123/artifacts/blob/blob.bin';
  const boundary = `----bench${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${path}"; filename="${path}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const send = (method: string, target: string, body?: Buffer[]) =>
    new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const length = body?.reduce((sum, part) => sum + part.length, 0);
      const headers: Record<string, string | number> = { authorization: auth };
      if (body) Object.assign(headers, { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length as number });
      const req = request(`${filesUrl}${target}`, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      for (const part of body ?? []) req.write(part);
      req.end();
    });
  const uploadStarted = performance.now();
  const uploaded = await send('POST', '/', [head, content, tail]);
  const uploadSeconds = (performance.now() - uploadStarted) / 1000;
  if (uploaded.status !== 200) throw new Error(`upload → HTTP ${uploaded.status}: ${uploaded.body.toString()}`);
  const downloadStarted = performance.now();
  const downloaded = await send('GET', `/${path}`);
  const downloadSeconds = (performance.now() - downloadStarted) / 1000;
  if (!downloaded.body.equals(content)) throw new Error('the downloaded file differs from the upload');
  const round = (n: number) => Math.round(n * 10) / 10;
  return { file_mb: FILE_MB, upload_mb_per_sec: round(FILE_MB / uploadSeconds), download_mb_per_sec: round(FILE_MB / downloadSeconds) };
}

async function measureEmbeddedServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tray-agent-server-bench-'));
  const { info, served, stop } = await startChild(['--serve', dataDir]);
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
          const created = await mustPost(info.url, 'tasks.create', auth, {
            name: `bench task ${index}`,
            type: 'training',
            script: { repository: 'https://example.com/r.git', entry_point: 'train.py' },
          });
          taskIds[index] = created.id as string;
        }
      }),
    );

    const enqueueSentAt = new Map<string, number>();
    const handed = new Map<string, number>();
    const handoff: number[] = [];
    const plainLatencies: number[] = [];
    const longPollLatencies: number[] = [];
    const enqueueLatencies: number[] = [];

    const poller = async (longPoll: boolean) => {
      while (handed.size < TASKS) {
        const started = performance.now();
        // long-polls go to /v2.21/..., plain polls unversioned: the server-side figures tell them apart
        const data = longPoll
          ? await mustPost(info.url, 'v2.21/queues.get_next_task', auth, { queue, wait_ms: LONG_POLL_WAIT_MS })
          : await mustPost(info.url, 'queues.get_next_task', auth, { queue });
        const received = performance.now();
        if (data.entry) {
          const task = data.entry.task;
          handed.set(task, (handed.get(task) ?? 0) + 1);
          handoff.push(received - (enqueueSentAt.get(task) ?? received));
          // A long-poll that found its task at once measures service time; one that waited
          // measures the wait, which the hand-off figure already covers.
          if (!longPoll) plainLatencies.push(received - started);
          else if ((enqueueSentAt.get(task) ?? received) <= started) longPollLatencies.push(received - started);
        } else if (!longPoll) {
          plainLatencies.push(received - started);
          await new Promise((resolve) => setTimeout(resolve, PLAIN_POLL_PAUSE_MS));
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
          enqueueSentAt.set(task, started);
          await mustPost(info.url, 'tasks.enqueue', auth, { task, queue });
          enqueueLatencies.push(performance.now() - started);
        }
      }),
    );
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    await Promise.all(pollers);
    const drainSeconds = (performance.now() - enqueueStarted) / 1000;
    const rssBeforeFiles = (await served()).max_rss_mb;
    const files = await measureFiles(info.filesUrl as string, auth);
    const serverSide = await served();
    return {
      server_side: {
        enqueue: serverSide['2.31/tasks.enqueue'],
        get_next_task_plain: serverSide['2.31/queues.get_next_task'],
      },
      enqueue_per_sec: Math.round(TASKS / enqueueSeconds),
      enqueue_latency: summary(enqueueLatencies),
      get_next_task_plain: summary(plainLatencies),
      get_next_task_long_poll_immediate: summary(longPollLatencies),
      handoff: summary(handoff),
      handed_out: handed.size,
      duplicates: [...handed.values()].filter((count) => count > 1).length,
      missing: taskIds.filter((id) => !handed.has(id)).length,
      drain_seconds: Math.round(drainSeconds * 100) / 100,
      files: { ...files, server_max_rss_mb_before: rssBeforeFiles, server_max_rss_mb_after: serverSide.max_rss_mb },
    };
  } finally {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runBench(): Promise<void> {
  console.log(`HTTP floor: bare node:http server, ${POLLERS + ENQUEUERS} concurrent clients, ${TASKS * 2} requests...`);
  const floor = await measureHttpFloor();
  console.log(`  ${floor.requests_per_sec} req/s, latency p50 ${floor.latency.p50_ms} ms, p99 ${floor.latency.p99_ms} ms`);
  const server = await measureEmbeddedServer();
  agent.destroy();
  console.log(`enqueue: ${server.enqueue_per_sec}/s, latency p50 ${server.enqueue_latency.p50_ms} ms, p99 ${server.enqueue_latency.p99_ms} ms`);
  const plain = server.get_next_task_plain;
  const immediate = server.get_next_task_long_poll_immediate;
  console.log(`get_next_task plain: ${plain.count} calls, p50 ${plain.p50_ms} ms, p99 ${plain.p99_ms} ms`);
  console.log(`get_next_task long-poll, task already queued: ${immediate.count} calls, p50 ${immediate.p50_ms} ms, p99 ${immediate.p99_ms} ms`);
  console.log(`hand-off (enqueue sent → poller has it): p50 ${server.handoff.p50_ms} ms, p99 ${server.handoff.p99_ms} ms`);
  const serverEnqueue = server.server_side.enqueue;
  const serverPop = server.server_side.get_next_task_plain;
  console.log(
    `server-side (arrival → answer written): enqueue p50 ${serverEnqueue?.p50_ms} ms, p99 ${serverEnqueue?.p99_ms} ms; ` +
      `get_next_task p50 ${serverPop?.p50_ms} ms, p99 ${serverPop?.p99_ms} ms`,
  );
  console.log(`handed out ${server.handed_out}/${TASKS}, duplicates ${server.duplicates}, missing ${server.missing}, drained in ${server.drain_seconds} s`);
  const files = server.files;
  console.log(
    `files server: ${files.file_mb} MiB upload ${files.upload_mb_per_sec} MiB/s, download ${files.download_mb_per_sec} MiB/s; ` +
      `server peak RSS ${files.server_max_rss_mb_before} MiB before, ${files.server_max_rss_mb_after} MiB after`,
  );
  console.log(JSON.stringify({ tasks: TASKS, pollers: POLLERS, enqueuers: ENQUEUERS, http_floor: floor, ...server }));
  if (server.duplicates > 0 || server.missing > 0) process.exitCode = 1;
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  await serveInThisProcess('embedded', process.argv[serveIndex + 1] as string);
} else if (process.argv.includes('--serve-bare')) {
  await serveInThisProcess('bare', '');
} else {
  await runBench();
}
