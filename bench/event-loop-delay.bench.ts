// Event-loop delay of the agent's host process (issue 8: the engine runs in Electron's main
// process, where a blocked loop freezes the tray): one task — a real python3 child — prints
// 200,000 lines/s for 10 s into its stdout pipe; the host runs the whole log pipeline (decode,
// split, console rules, redaction, spool, batches) through the task outbox to the embedded
// server over HTTP, while the machine-stats sampler runs (1 s samples, GPU every 2 s from the
// recorded H200 nvidia-smi — shorter intervals than the daemon's 5 s / 10 s).
// `perf_hooks.monitorEventLoopDelay` (1 ms resolution; its values include that 1 ms) records the
// delay while the task prints, and until its last line is acknowledged; the same monitor on the
// idle process for 2 s first gives the machine's floor (other work on the shared cores).
// Two placements of the server:
//   - in a child process (a daemon against a separate server): the agent's own cost — target p99 ≤ 20 ms;
//   - in this process (as `tray-agent up` runs it): the server's SQLite inserts add to the same loop.
// Prints human lines, then one JSON line with the figures.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '../src-main/engine/api/index.js';
import { queryGpus } from '../src-main/engine/gpu/nvidia-smi-query.js';
import { createRedactor, openTaskOutbox, type LogEvent } from '../src-main/engine/logs/index.js';
import { createMachineStatsSampler } from '../src-main/engine/metrics/index.js';
import { createTaskRunApi } from '../src-main/engine/task-run/api-adapter.js';
import { FAKE_NVIDIA_SMI, fakeNvidiaSmiEnv } from '../test/helpers/fake-nvidia-smi/index.js';

const RATE = Number(process.env.ELD_BENCH_LINES_PER_SEC ?? 200_000);
const SECONDS = Number(process.env.ELD_BENCH_SECONDS ?? 10);
const self = fileURLToPath(import.meta.url);

const TASK = `
import sys, time
rate, seconds = ${RATE}, ${SECONDS}
out = sys.stdout
t0 = time.monotonic()
i = 0
while True:
    elapsed = time.monotonic() - t0
    if elapsed >= seconds:
        break
    target = min(int(elapsed * rate) + rate // 100, int(seconds * rate))
    if target > i:
        out.write("".join(f"2026-11-28 10:00:00,000 INFO train.py:88 epoch {n // 10000} step {n:07d} loss=0.{n % 99991:05d}\\n" for n in range(i, target)))
        out.flush()
        i = target
    time.sleep(0.005)
sys.stderr.write(f"{i}\\n")
`;

interface Info {
  url: string;
  credentials: { accessKey: string; secretKey: string };
}

async function serverInChild(dataDir: string): Promise<{ info: Info; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--serve', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<Info>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as Info));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { info, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

async function serverInProcess(dataDir: string): Promise<{ info: Info; stop(): Promise<void> }> {
  const { startEmbeddedServer } = await import('../src-main/server/index.js');
  const server = await startEmbeddedServer({ port: 0, dataDir });
  return { info: { url: server.url, credentials: server.createdCredentials! }, stop: () => server.close() };
}

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

async function measure(placement: 'child' | 'same-process', root: string) {
  const { info, stop } = placement === 'child' ? await serverInChild(join(root, 'server')) : await serverInProcess(join(root, 'server'));
  try {
    const client = createApiClient({ apiServer: info.url, credentials: info.credentials });
    const { id: taskId } = await client.tasks.create({ name: 'event loop bench', type: 'training' } as never);
    await client.tasks.started({ task: taskId, force: true });
    const api = createTaskRunApi(createApiClient({ apiServer: info.url, credentials: info.credentials, maxRetries: 0 }));
    let delivered = 0;
    const outbox = openTaskOutbox({
      spoolDir: join(root, 'spool'),
      serverUrl: info.url,
      workerId: 'bench:gpu0',
      server: {
        ...api,
        async addLogEvents(events: readonly LogEvent[]) {
          await api.addLogEvents(events);
          for (const e of events) delivered += e.msg.split('\n').length - 1;
        },
      },
    });
    const shipper = outbox.openShipper({
      taskId,
      workerId: 'bench:gpu0',
      redactor: createRedactor({ secrets: ['bench-api-secret-value', 'ghp_benchtoken0123456789'], env: { HF_TOKEN: 'hf_bench_token_value' } }),
      suppressCarriageReturn: true,
    });
    const sampler = createMachineStatsSampler({
      sampleIntervalMs: 1000,
      gpuSampleIntervalMs: 2000,
      diskPath: root,
      gpuQuery: () => queryGpus({ nvidiaSmi: FAKE_NVIDIA_SMI, env: fakeNvidiaSmiEnv({ state: 'busy' }) }),
    });

    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((r) => setTimeout(r, 2000));
    idle.disable();
    const whilePrinting = monitorEventLoopDelay({ resolution: 1 });
    const untilDelivered = monitorEventLoopDelay({ resolution: 1 });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    whilePrinting.enable();
    untilDelivered.enable();
    const child = spawn('python3', ['-c', TASK], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => shipper.writeStdout(chunk));
    let printedText = '';
    child.stderr!.on('data', (d: Buffer) => (printedText += d.toString()));
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    whilePrinting.disable();
    const printedMs = performance.now() - started;
    const ended = await shipper.finish({ status: { call: 'completed', statusReason: 'worker execution done', statusMessage: 'bench' }, waitMs: 300_000 });
    untilDelivered.disable();
    const totalMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    sampler.stop();
    await outbox.close();
    const printed = Number(printedText.trim());
    const figures = (h: ReturnType<typeof monitorEventLoopDelay>) => ({ p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) });
    return {
      printed,
      delivered,
      lost: printed - delivered,
      done: ended.done,
      printedForMs: Math.round(printedMs),
      deliveredAfterMs: Math.round(totalMs),
      hostCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      idle: figures(idle),
      whilePrinting: figures(whilePrinting),
      untilDelivered: figures(untilDelivered),
      samplerSampled: sampler.latest() !== null,
    };
  } finally {
    await stop();
  }
}

async function main() {
  const results: Record<string, unknown> = { linesPerSec: RATE, seconds: SECONDS, loadAverage: (await import('node:os')).loadavg()[0] };
  for (const placement of ['child', 'same-process'] as const) {
    const root = fs.mkdtempSync(join(tmpdir(), 'eld-bench-'));
    try {
      const r = await measure(placement, root);
      console.log(
        `server ${placement === 'child' ? 'in a child process' : 'in the same process'}: event-loop delay idle p99 ${r.idle.p99Ms} ms; while printing p50 ${r.whilePrinting.p50Ms} / p99 ${r.whilePrinting.p99Ms} / max ${r.whilePrinting.maxMs} ms; ` +
          `until the last line was acknowledged p99 ${r.untilDelivered.p99Ms} / max ${r.untilDelivered.maxMs} ms; ` +
          `${r.printed} lines printed in ${r.printedForMs} ms, ${r.delivered} delivered (${r.lost} lost) after ${r.deliveredAfterMs} ms; host CPU ${r.hostCpuMs} ms`,
      );
      results[placement === 'child' ? 'serverInChildProcess' : 'serverInSameProcess'] = r;
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(results));
}

if (process.argv[2] === '--serve') {
  const { startEmbeddedServer } = await import('../src-main/server/index.js');
  const server = await startEmbeddedServer({ port: 0, dataDir: process.argv[3]! });
  process.stdout.write(`${JSON.stringify({ url: server.url, credentials: server.createdCredentials })}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}
