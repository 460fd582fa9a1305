import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { useAgentTestBed } from '../../../helpers/agent-test-bed.js';
import { spawnCli } from '../../../helpers/cli-process.js';
import { runCliCaptured } from '../../../helpers/run-cli-captured.js';
import { buildCli, liveGlueJobs, requireSlurmCluster, slurmJobsOfTask } from '../../../helpers/slurm-cluster.js';
import { until } from '../../../helpers/until.js';

// The Slurm glue against the real one-node cluster of this machine: tasks enqueued on the
// embedded server become sbatch jobs that run `tray-agent execute` (bin/tray-agent.js, built).
const bed = useAgentTestBed('slurm-glue');

type Glue = ChildProcess & { output: () => string };
const running: Glue[] = [];

async function writeTemplate(name: string, sbatchLines: string[], body: string[] = []): Promise<string> {
  const dir = join(bed.root, 'templates');
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, ['#!/bin/bash', '#SBATCH --job-name=clearml_task_${CLEARML_TASK.id}', ...sbatchLines, '${CLEARML_PRE_SETUP}', ...body, '${CLEARML_AGENT_EXECUTE}', '${CLEARML_POST_SETUP}', ''].join('\n'));
  return file;
}

async function startGlue(workerId: string, args: string[]): Promise<Glue> {
  const glue = spawnCli(['--config-file', bed.configFile, 'glue', 'slurm', '--polling-interval', '0.5', ...args], { env: { CLEARML_WORKER_ID: workerId, HOME: bed.root } });
  running.push(glue);
  await until(() => glue.output().includes('Slurm glue') && glue.output().includes('serving'), 60_000, () => `the glue to start: ${glue.output()}`);
  return glue;
}

async function stopGlue(glue: Glue, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (glue.exitCode === null && glue.signalCode === null) {
    const exited = new Promise((r) => glue.once('exit', r));
    glue.kill(signal);
    await exited;
  }
  running.splice(running.indexOf(glue), 1);
}

async function enqueueScript(queue: string, script: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: `slurm glue test (${queue})`, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script }, ...extra } as never);
  await bed.client.tasks.enqueue({ task: id, queueName: queue });
  return id;
}

const status = async (id: string) => bed.client.tasks.getById(id);
const finalStatus = (id: string, glue: Glue, timeoutMs = 90_000) =>
  until(async () => {
    const t = await status(id);
    return ['completed', 'failed', 'stopped'].includes(String(t.status)) ? t : null;
  }, timeoutMs, () => `task ${id} to end (glue output: ${glue.output()})`);

async function taskLog(id: string): Promise<string> {
  const { events } = await bed.client.events.getTaskLog({ task: id, batchSize: 1000, order: 'asc' } as never);
  return events.map((e) => e.msg ?? '').join('');
}

beforeAll(async () => {
  await requireSlurmCluster();
  await buildCli();
  for (const q of ['sl-a', 'sl-b', 'sl-later', 'sl-big', 'sl-broken', 'sl-refused', 'sl-one', 'sl-restart', 'sl-sing']) await bed.client.queues.create({ name: q });
});

afterAll(async () => {
  for (const glue of [...running]) await stopGlue(glue);
});

describe('tray-agent glue slurm (real Slurm)', () => {
  let glue: Glue;
  beforeAll(async () => {
    const a = await writeTemplate('a.template', ['#SBATCH --cpus-per-task=1'], ['export GLUE_TEMPLATE=from-a']);
    const b = await writeTemplate('b.template', ['#SBATCH --cpus-per-task=1', '#SBATCH --comment=${CLEARML_QUEUE_NAME}'], ['export GLUE_TEMPLATE=from-b-${CLEARML_TASK.hyperparams.properties.flavour.value:plain}']);
    const later = await writeTemplate('later.template', ['#SBATCH --begin=now+1hour']);
    const big = await writeTemplate('big.template', ['#SBATCH --cpus-per-task=64']);
    const broken = await writeTemplate('broken.template', ['#SBATCH --nodes=${CLEARML_TASK.hyperparams.properties.num_nodes.value}']);
    const refused = await writeTemplate('refused.template', ['#SBATCH --partition=no-such-partition']);
    glue = await startGlue('glue-main', ['--queue', 'sl-a', 'sl-b', 'sl-later', 'sl-big', 'sl-broken', 'sl-refused', '--template-files', a, b, later, big, broken, refused]);
  });

  it('a task enqueued on the server becomes a Slurm job that runs it to completed, its log on the server', async () => {
    const id = await enqueueScript('sl-a', 'import os\nprint("hello from slurm", os.environ.get("GLUE_TEMPLATE"), os.environ.get("SLURM_JOB_ID"))\n');
    const done = await finalStatus(id, glue);
    expect(done.status).toBe('completed');
    const jobs = await slurmJobsOfTask(id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.name).toBe(`clearml_task_${id}`);
    const log = await taskLog(id);
    expect(log).toContain(`Submitted Slurm job ${jobs[0]!.jobId} for queue sl-a (template a.template)`);
    expect(log).toContain(`hello from slurm from-a ${jobs[0]!.jobId}`);
    // The job's agent ran as its own worker <glue>:<task>.
    expect(log).toContain(`on worker glue-main:${id}`);
  });

  it('a second queue gets its own template, variables and defaults filled in', async () => {
    const id = await enqueueScript('sl-b', 'import os\nprint("template says", os.environ.get("GLUE_TEMPLATE"))\n', {
      hyperparams: { properties: { flavour: { section: 'properties', name: 'flavour', value: 'spicy', type: 'str' } } },
    });
    const plain = await enqueueScript('sl-b', 'import os\nprint("template says", os.environ.get("GLUE_TEMPLATE"))\n');
    expect((await finalStatus(id, glue)).status).toBe('completed');
    expect((await finalStatus(plain, glue)).status).toBe('completed');
    expect(await taskLog(id)).toContain('template says from-b-spicy');
    expect(await taskLog(plain)).toContain('template says from-b-plain');
  });

  it('keeps the task visibly pending while the job waits, and abort → scancel → stopped', async () => {
    const id = await enqueueScript('sl-later', 'print("must not run")\n');
    const waiting = await until(async () => {
      const t = await status(id);
      return t.status === 'queued' && /Slurm job \d+ pending: BeginTime/.test(String(t.status_message)) ? t : null;
    }, 60_000, () => `the pending status message (glue: ${glue.output()})`);
    expect(waiting.execution?.queue).toBeTruthy();
    const [job] = await slurmJobsOfTask(id);
    expect(job!.state).toBe('PENDING');
    await bed.client.tasks.stop({ task: id });
    await until(async () => (await slurmJobsOfTask(id))[0]?.state === 'CANCELLED', 30_000, () => `scancel of job ${job!.jobId} (glue: ${glue.output()})`);
    const after = await status(id);
    expect(after.status).toBe('stopped');
    expect(await taskLog(id)).toContain(`Cancelled Slurm job ${job!.jobId}: the task is stopped`);
    expect(await taskLog(id)).not.toContain('must not run');
  });

  it('abort of a running task: its agent stops it, the task ends stopped and the job ends', async () => {
    const id = await enqueueScript('sl-a', 'import time\nprint("long work", flush=True)\ntime.sleep(120)\n');
    await until(async () => (await taskLog(id)).includes('long work'), 90_000, () => `the task to run (glue: ${glue.output()})`);
    await bed.client.tasks.stop({ task: id });
    const done = await finalStatus(id, glue, 60_000);
    expect(done.status).toBe('stopped');
    await until(async () => !(await liveGlueJobs()).some((j) => j.name === `clearml_task_${id}`), 60_000, () => 'the job to end');
  });

  it('a template asking for more CPUs than the node has: the task fails with Slurm\'s reason', async () => {
    const id = await enqueueScript('sl-big', 'print("too big")\n');
    const done = await finalStatus(id, glue);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toBe('Slurm cannot start the job');
    expect(done.status_message).toMatch(/^Slurm job \d+ cannot start: PartitionConfig — the job asks for more than the partition offers/);
    const [job] = await slurmJobsOfTask(id);
    expect(job!.state).toBe('CANCELLED');
    // Out of the glue's pending queue too.
    const pending = (await bed.client.queues.getAll({ name: '^slurm_scheduler$' }))[0]!;
    expect((await bed.client.queues.getById(pending.id)).entries?.some((e) => e.task === id)).toBeFalsy();
  });

  it('an unknown template variable fails the task naming it and its line, and submits nothing', async () => {
    const id = await enqueueScript('sl-broken', 'print("x")\n');
    const done = await finalStatus(id, glue);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toBe('Slurm glue: template error');
    expect(done.status_message).toContain('broken.template line 3: ${CLEARML_TASK.hyperparams.properties.num_nodes.value} has no value');
    expect(await slurmJobsOfTask(id)).toEqual([]);
  });

  it('a job sbatch refuses fails the task with sbatch\'s words', async () => {
    const id = await enqueueScript('sl-refused', 'print("x")\n');
    const done = await finalStatus(id, glue);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toBe('Slurm refused the job');
    expect(done.status_message).toMatch(/sbatch refused the job: .*invalid partition/i);
  });

  it('--dry-run --task-id prints the rendered script and submits nothing', async () => {
    const { id } = await bed.client.tasks.create({ name: 'dry', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'print(1)\n' } } as never);
    const tpl = join(bed.root, 'templates', 'b.template');
    const result = await runCliCaptured('--config-file', bed.configFile, 'glue', 'slurm', '--queue', 'sl-b', '--template-files', tpl, '--dry-run', '--task-id', id);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`#SBATCH --job-name=clearml_task_${id}`);
    expect(result.stdout).toContain('#SBATCH --comment=sl-b');
    expect(result.stdout).toContain('export GLUE_TEMPLATE=from-b-plain');
    expect(result.stdout).toMatch(/bin\/tray-agent\.js --config-file \S+ execute --full-monitoring --require-queue --id [0-9a-f]{32}/);
    expect(await slurmJobsOfTask(id)).toEqual([]);
    expect((await status(id)).status).toBe('created');
  });
});

describe('tray-agent glue slurm --max-jobs', () => {
  it('never has more than N jobs in flight for a queue, and runs them all', async () => {
    const tpl = await writeTemplate('one.template', ['#SBATCH --cpus-per-task=1']);
    const glue = await startGlue('glue-max', ['--queue', 'sl-one', '--template-files', tpl, '--max-jobs', '1']);
    try {
      const ids = [await enqueueScript('sl-one', 'import time\ntime.sleep(2)\nprint("one")\n'), await enqueueScript('sl-one', 'import time\ntime.sleep(2)\nprint("two")\n')];
      let most = 0;
      const watching = (async () => {
        for (;;) {
          const live = (await liveGlueJobs()).filter((j) => ids.some((id) => j.name === `clearml_task_${id}`));
          most = Math.max(most, live.length);
          const statuses = await Promise.all(ids.map(async (id) => (await status(id)).status));
          if (statuses.every((s) => s === 'completed' || s === 'failed')) return;
          await new Promise((r) => setTimeout(r, 150));
        }
      })();
      await Promise.race([watching, new Promise((_r, reject) => setTimeout(() => reject(new Error(`timed out (glue: ${glue.output()})`)), 150_000))]);
      expect(most).toBe(1);
      for (const id of ids) expect((await status(id)).status).toBe('completed');
      // The second one waited in its queue, not in Slurm.
      expect(await taskLog(ids[1]!)).toContain('Pulled from queue sl-one');
    } finally {
      await stopGlue(glue);
    }
  });
});

describe('tray-agent glue slurm restarted mid-job', () => {
  it('re-adopts the running job instead of submitting the task again', async () => {
    const tpl = await writeTemplate('restart.template', ['#SBATCH --cpus-per-task=1']);
    const args = ['--queue', 'sl-restart', '--template-files', tpl];
    const first = await startGlue('glue-restart', args);
    const id = await enqueueScript('sl-restart', 'import time\nprint("started", flush=True)\ntime.sleep(6)\nprint("finished")\n');
    await until(async () => (await liveGlueJobs()).find((j) => j.name === `clearml_task_${id}` && j.state === 'RUNNING'), 90_000, () => `the job to run (glue: ${first.output()})`);
    await stopGlue(first, 'SIGKILL');
    const second = await startGlue('glue-restart', args);
    try {
      expect(second.output()).toMatch(/adopting 1 job/);
      const done = await finalStatus(id, second);
      expect(done.status).toBe('completed');
      expect(await slurmJobsOfTask(id)).toHaveLength(1);
      expect(await taskLog(id)).toContain('finished');
      await until(() => second.output().includes(`task ${id}: Slurm job`), 20_000, () => `the glue to see the job end: ${second.output()}`);
    } finally {
      await stopGlue(second);
    }
  });
});

describe('tray-agent glue slurm --singularity-mode', () => {
  it('on a node without singularity or apptainer the task fails and its log says why', async () => {
    const tpl = await writeTemplate('sing.template', ['#SBATCH --cpus-per-task=1']);
    const glue = await startGlue('glue-sing', ['--queue', 'sl-sing', '--template-files', tpl, '--singularity-mode']);
    try {
      expect(glue.output()).toContain('--singularity-mode: neither singularity nor apptainer is on PATH here');
      const id = await enqueueScript('sl-sing', 'print("x")\n', { container: { image: 'python:3.11-slim' } });
      const done = await finalStatus(id, glue);
      expect(done.status).toBe('failed');
      expect(done.status_reason).toBe('Slurm job ended before the task started');
      expect(done.status_message).toMatch(/^Slurm job \d+ ended FAILED \(exit code 127(, reason NonZeroExitCode)?\) before the task started$/);
      const log = await taskLog(id);
      expect(log).toContain('neither singularity nor apptainer is on PATH on node');
      expect(log).toContain('singularity image python:3.11-slim');
    } finally {
      await stopGlue(glue);
    }
  });
});
