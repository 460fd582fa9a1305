// Slurm glue latency on the real one-node cluster of this machine (scripts/lib/ensure-slurm.sh):
//   glue:  tasks.enqueue → sbatch returned (the glue's own share) → the Slurm job running (its
//          first command) → the task's first line on the embedded server, p50 over 10 tasks
//          (the task prints one line; agent config as the tests: the agent's own python, no
//          venv to build);
//   floor: bare `sbatch --wrap` → the job's first command, p50 over 10 jobs, one at a time —
//          what Slurm itself costs on this cluster.
// Prints human lines, then one JSON line with the figures.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddedServer } from '../src-main/server/index.js';
import { createApiClient } from '../src-main/engine/api/index.js';
import { startSlurmGlue } from '../src-main/engine/glue/slurm/slurm-glue.js';
import { writeAgentConfig } from '../test/helpers/agent-config.js';
import { buildCli, requireSlurmCluster } from '../test/helpers/slurm-cluster.js';

const TASKS = Number(process.env['SLURM_BENCH_TASKS'] ?? 10);
const run = promisify(execFile);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const round = (n: number): number => Math.round(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForFile(path: string, timeoutMs = 120_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.trim()) return text.trim();
    if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
    await sleep(10);
  }
}

/**
 * Waits until Slurm runs nothing of ours, then 2 s more: how soon a job starts depends on how
 * long ago the last one ended (scheduler passes, batch_sched_delay), so glue and floor both
 * submit on a node idle for the same time.
 */
async function nodeIdle(): Promise<void> {
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    const { stdout } = await run('squeue', ['--me', '--noheader', '--states=PENDING,RUNNING,COMPLETING,CONFIGURING', '--format=%i']);
    if (!stdout.trim()) break;
    await sleep(50);
  }
  await sleep(2_000);
}

async function bareSbatchFloor(root: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < TASKS; i++) {
    const mark = join(root, `floor-${i}`);
    await nodeIdle();
    const before = Date.now();
    await run('sbatch', ['--parsable', `--output=${join(root, `floor-${i}.out`)}`, `--wrap=date +%s%3N > ${mark}`]);
    latencies.push(Number(await waitForFile(mark)) - before);
  }
  return latencies;
}

async function glueLatencies(root: string): Promise<{ submitted: number[]; running: number[]; firstLine: number[] }> {
  const server = await startEmbeddedServer({ port: 0, dataDir: join(root, 'server') });
  const credentials = server.createdCredentials!;
  const configFile = await writeAgentConfig(join(root, 'agent'), { url: server.url, credentials });
  const client = createApiClient({ apiServer: server.url, credentials });
  await client.queues.create({ name: 'bench-slurm' });
  const template = join(root, 'bench.template');
  // The job's first command stamps the time it started (ms since epoch) next to the task id.
  await writeFile(template, ['#!/bin/bash', '#SBATCH --cpus-per-task=1', `date +%s%3N > ${root}/started-\${CLEARML_TASK.id}`, '${CLEARML_PRE_SETUP}', '${CLEARML_AGENT_EXECUTE}', ''].join('\n'));
  process.env['CLEARML_WORKER_ID'] = 'bench-slurm-glue';
  const submittedAt = new Map<string, number>();
  const glue = await startSlurmGlue(
    { queues: ['bench-slurm'], templateFiles: [template], singularityMode: false, maxJobs: null, createQueue: false, pollIntervalSec: 2, configFile },
    (_level, text) => {
      const submitted = /^task ([0-9a-f]+): Submitted Slurm job/.exec(text);
      if (submitted) submittedAt.set(submitted[1]!, Date.now());
    },
  );
  const submitted: number[] = [];
  const running: number[] = [];
  const firstLine: number[] = [];
  try {
    for (let i = 0; i < TASKS; i++) {
      await nodeIdle();
      const { id } = await client.tasks.create({ name: `bench ${i}`, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'print("first line", flush=True)\n' } } as never);
      const before = Date.now();
      await client.tasks.enqueue({ task: id, queueName: 'bench-slurm' });
      let seenAt = 0;
      for (const end = Date.now() + 120_000; Date.now() < end; ) {
        const { events } = await client.events.getTaskLog({ task: id, batchSize: 500, order: 'asc' } as never);
        if (events.some((e) => String(e.msg ?? '').includes('first line'))) {
          seenAt = Date.now();
          break;
        }
        await sleep(20);
      }
      if (!seenAt) throw new Error(`task ${id}: no first line within 120 s`);
      running.push(Number(await waitForFile(join(root, `started-${id}`))) - before);
      firstLine.push(seenAt - before);
      submitted.push(submittedAt.get(id)! - before);
      for (const end = Date.now() + 60_000; Date.now() < end && (await client.tasks.getById(id)).status !== 'completed'; ) await sleep(100);
    }
  } finally {
    glue.stop();
    await glue.done;
    await server.close();
  }
  return { submitted, running, firstLine };
}

await requireSlurmCluster();
await buildCli();
const root = await mkdtemp(join(tmpdir(), 'tray-agent-slurm-bench-'));
try {
  const floor = await bareSbatchFloor(root);
  const glue = await glueLatencies(root);
  const figures = {
    tasks: TASKS,
    sbatchFloorP50Ms: round(percentile(floor, 50)),
    enqueueToSubmittedP50Ms: round(percentile(glue.submitted, 50)),
    enqueueToJobRunningP50Ms: round(percentile(glue.running, 50)),
    enqueueToFirstLineP50Ms: round(percentile(glue.firstLine, 50)),
    enqueueToFirstLineP95Ms: round(percentile(glue.firstLine, 95)),
  };
  console.log(`bare sbatch → job's first command: p50 ${figures.sbatchFloorP50Ms} ms (floor)`);
  console.log(`enqueue → sbatch done (the glue's own share): p50 ${figures.enqueueToSubmittedP50Ms} ms`);
  console.log(`enqueue → Slurm job running: p50 ${figures.enqueueToJobRunningP50Ms} ms`);
  console.log(`enqueue → task's first line on the server: p50 ${figures.enqueueToFirstLineP50Ms} ms, p95 ${figures.enqueueToFirstLineP95Ms} ms over ${TASKS} tasks`);
  console.log(JSON.stringify(figures));
} finally {
  await rm(root, { recursive: true, force: true });
}
