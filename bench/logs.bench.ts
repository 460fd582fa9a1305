// Log shipping throughput: 1,000,000 lines of task output through the whole console pipeline
// (lines → console rules → redaction → spool file → batches) into
//   1. an in-memory sink (the shipper's own cost), and
//   2. the embedded server over HTTP (POST /events.add_batch, JSON lines, Basic auth), which runs
//      in this same process as it does in the tray app.
// Lines arrive in pipe-sized chunks (64 KiB), one per event-loop turn, like a child's stdout.
// Every line is checked on arrival: none lost, none twice, none out of order.
// Prints human lines, then one JSON line with the figures.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LogEvent, LogSink } from '../src-main/engine/logs/index.js';
import { createLogShipper, createRedactor } from '../src-main/engine/logs/index.js';

const LINES = Number(process.env.LOGS_BENCH_LINES ?? 1_000_000);
const CHUNK_BYTES = 64 * 1024;
const TASK_LINE = (i: number) =>
  `2026-11-28 10:00:00,000 INFO train.py:88 epoch ${Math.floor(i / 10_000)} step ${String(i).padStart(7, '0')} loss=0.${String(i % 99_991).padStart(5, '0')}`;

/** Checks lines as they arrive: the n-th line received must be the n-th line printed. */
class ArrivalCheck {
  next = 0;
  events = 0;
  errors: string[] = [];

  accept(events: LogEvent[]): void {
    for (const event of events) {
      this.events++;
      let start = 0;
      for (let end = event.msg.indexOf('\n'); end >= 0; end = event.msg.indexOf('\n', start)) {
        const line = event.msg.slice(start, end);
        if (line !== TASK_LINE(this.next) && this.errors.length < 5) this.errors.push(`line ${this.next}: got ${JSON.stringify(line.slice(0, 80))}`);
        this.next++;
        start = end + 1;
      }
    }
  }
}

function peakRssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

async function shipThrough(taskId: string, sink: LogSink, check: ArrivalCheck, spoolDir: string) {
  if (global.gc) global.gc();
  const rssBefore = process.memoryUsage.rss();
  const sampler = peakRssSampler();
  const shipper = createLogShipper({
    taskId,
    workerId: 'bench:gpu0',
    spoolDir,
    sink,
    redactor: createRedactor({ secrets: ['bench-api-secret-value', 'ghp_benchtoken0123456789'], env: { HF_TOKEN: 'hf_bench_token_value' } }),
    suppressCarriageReturn: true,
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let i = 0;
  while (i < LINES) {
    let chunk = '';
    while (i < LINES && chunk.length < CHUNK_BYTES) chunk += `${TASK_LINE(i++)}\n`;
    shipper.writeStdout(Buffer.from(chunk));
    await nextTurn();
  }
  const writtenMs = performance.now() - started;
  const result = await shipper.close({ timeoutMs: 600_000 });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const peakRss = sampler.stop();
  const stats = shipper.stats();
  const lost = LINES - check.next;
  return {
    linesPerSec: Math.round(LINES / (elapsedMs / 1000)),
    elapsedMs: Math.round(elapsedMs),
    // CPU time of the whole process (task-output generation, shipper, and for HTTP the server):
    // steadier than wall time on a busy machine.
    cpuMs: Math.round(cpuMs),
    linesPerCpuSec: Math.round(LINES / (cpuMs / 1000)),
    writeMs: Math.round(writtenMs),
    shipped: result.shipped,
    pending: result.pending,
    lost,
    outOfOrder: check.errors.length,
    events: check.events,
    peakBufferedMiB: +(stats.peakBufferedBytes / 2 ** 20).toFixed(2),
    rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}

async function main() {
  const root = fs.mkdtempSync(join(tmpdir(), 'logs-bench-'));
  const results: Record<string, unknown> = { lines: LINES };
  try {
    const memoryCheck = new ArrivalCheck();
    const memory = await shipThrough('bench-memory', { addBatch: async (events) => memoryCheck.accept(events) }, memoryCheck, join(root, 'spool'));
    console.log(
      `in-memory sink: ${memory.linesPerSec.toLocaleString('en')} lines/s (${memory.elapsedMs} ms; ${memory.linesPerCpuSec.toLocaleString('en')} lines per CPU-s), ` +
        `${memory.lost} lost, ${memory.events} events, peak buffered ${memory.peakBufferedMiB} MiB, RSS ${memory.rssBeforeMiB} → ${memory.peakRssMiB} MiB`,
    );
    if (memoryCheck.errors.length) console.log(`  order errors: ${memoryCheck.errors.join('; ')}`);
    results.memory = memory;

    const serverModule = join(import.meta.dirname, '..', 'src-main', 'server', 'index.ts');
    if (fs.existsSync(serverModule)) {
      const { startEmbeddedServer } = await import('../src-main/server/index.js');
      const server = await startEmbeddedServer({ port: 0, dataDir: join(root, 'server') });
      try {
        const credentials = server.createdCredentials ?? server.createCredentials();
        const authorization = `Basic ${Buffer.from(`${credentials.accessKey}:${credentials.secretKey}`).toString('base64')}`;
        const call = async (endpoint: string, body: string, contentType = 'application/json') => {
          const response = await fetch(`${server.url}/${endpoint}`, {
            method: 'POST',
            headers: { authorization, 'content-type': contentType },
            body,
          });
          const envelope = (await response.json()) as { meta: { result_code: number; result_msg: string }; data: Record<string, unknown> };
          if (!response.ok) throw new Error(`${endpoint}: HTTP ${response.status} ${envelope.meta?.result_msg}`);
          return envelope.data;
        };
        const { id: taskId } = (await call('tasks.create', JSON.stringify({ name: 'logs bench', type: 'training' }))) as { id: string };
        const serverCheck = new ArrivalCheck();
        // What the API client's events.addBatch does on the wire, minus its retries (the shipper retries).
        const httpSink: LogSink = {
          async addBatch(events) {
            const body = events.map((e) => JSON.stringify(e)).join('\n');
            const data = await call('events.add_batch', body, 'application/json-lines');
            if (data.added !== events.length) throw new Error(`events.add_batch stored ${String(data.added)} of ${events.length}`);
            serverCheck.accept(events);
          },
        };
        const http = await shipThrough(taskId, httpSink, serverCheck, join(root, 'spool'));
        const stored = (await call('events.get_task_log', JSON.stringify({ task: taskId, batch_size: 1 }))) as { total: number };
        console.log(
          `embedded server (HTTP): ${http.linesPerSec.toLocaleString('en')} lines/s (${http.elapsedMs} ms; ${http.linesPerCpuSec.toLocaleString('en')} lines per CPU-s), ` +
            `${http.lost} lost, ${http.events} events (${stored.total} stored), peak buffered ${http.peakBufferedMiB} MiB, RSS ${http.rssBeforeMiB} → ${http.peakRssMiB} MiB`,
        );
        if (serverCheck.errors.length) console.log(`  order errors: ${serverCheck.errors.join('; ')}`);
        results.embeddedServer = { ...http, storedEvents: stored.total };
      } finally {
        await server.close();
      }
    } else {
      console.log('embedded server: src-main/server/index.ts not present, skipped');
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

await main();
