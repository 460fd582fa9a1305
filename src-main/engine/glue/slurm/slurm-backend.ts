// Slurm behind the glue loop: a task becomes `sbatch` of its queue's rendered template (script
// on stdin, job name `clearml_task_<id>` forced on the command line), jobs are watched with one
// `squeue --me -t all` per pass, `scontrol show job` for how an ended one ended (and `sacct`
// where accounting keeps jobs longer), and `scancel` ends them.
import { open } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import type { QueueRef } from '../../daemon/daemon-api.js';
import type { GlueTask } from '../glue-api.js';
import type { SchedulerJobEntry } from '../job-registry.js';
import { JobRejectedError, SchedulerUnavailableError, type JobObservation, type PreparedJob, type SchedulerBackend } from '../scheduler-backend.js';
import { needsProjectName, renderSlurmTemplate, TemplateError, type SlurmTemplate } from './render-template.js';
import { jobBlocks } from './job-blocks.js';
import { describeExitCode, jobNameFor, jobNamePrefix, parseSbatchJobId, parseScontrolRecord, parseSqueue, permanentPendingReason, slurmPhase, squeueFormat, type SqueueRow } from './slurm-output.js';
import type { SlurmCommandRunner } from './slurm-commands.js';

export interface SlurmBackendOptions {
  /** Queue id → its template. */
  readonly templates: ReadonlyMap<string, SlurmTemplate>;
  readonly workerId: string;
  readonly agentCommand: readonly string[];
  readonly configFile: string | null;
  /** --singularity-mode: the image when the task names none (agent.default_docker.image). */
  readonly singularity: { readonly defaultImage: string } | null;
  /** sbatch runs here, so a template without --output writes slurm-<id>.out here. */
  readonly workDir: string;
  readonly run: SlurmCommandRunner;
  readonly projectName: (projectId: string) => Promise<string | null>;
}

export interface SlurmPreparedJob extends PreparedJob {
  readonly script: string;
}

const OUTPUT_TAIL_LINES = 20;
const OUTPUT_TAIL_BYTES = 16 * 1024;

async function fileTail(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - OUTPUT_TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // a partial first line
    return lines.filter((l) => l.trim() !== '').slice(-OUTPUT_TAIL_LINES);
  } finally {
    await handle.close();
  }
}

const firstLines = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 6)
    .join('; ');

export function createSlurmBackend(options: SlurmBackendOptions): SchedulerBackend<SlurmPreparedJob> {
  const { run } = options;

  const squeue = async (extra: string[]): Promise<SqueueRow[]> => {
    const result = await run('squeue', ['--me', '--noheader', '--states=all', `--format=${squeueFormat}`, ...extra]);
    if (result.notFound) throw new SchedulerUnavailableError('squeue is not on PATH; install the Slurm client (Debian: slurm-client) on this host');
    if (result.exitCode !== 0) throw new SchedulerUnavailableError(`squeue failed: ${firstLines(result.stderr) || `exit code ${String(result.exitCode)}`}`);
    return parseSqueue(result.stdout).filter((row) => row.name.startsWith(jobNamePrefix));
  };

  const showJob = async (jobId: string): Promise<Record<string, string> | null> => {
    const result = await run('scontrol', ['show', 'job', '--oneliner', jobId]);
    if (result.exitCode !== 0) return null;
    return parseScontrolRecord(result.stdout);
  };

  /** For a job squeue no longer lists: accounting may still know it (clusters with slurmdbd). */
  const accounted = async (jobId: string): Promise<{ state: string; exitCode: string; reason: string } | null> => {
    const result = await run('sacct', ['--jobs', jobId, '--allocations', '--noheader', '--parsable2', '--format=State,ExitCode,Reason']);
    if (result.exitCode !== 0) return null;
    const [line] = result.stdout.split('\n').filter((l) => l.trim() !== '');
    if (!line) return null;
    const [state = '', exitCode = '', reason = ''] = line.split('|');
    return { state: state.split(' ')[0]!, exitCode, reason };
  };

  const endedDetail = (exitCode: string | undefined, reason: string | undefined): string =>
    [describeExitCode(exitCode), reason && reason !== 'None' ? `reason ${reason}` : null].filter(Boolean).join(', ');

  return {
    scheduler: 'slurm',
    displayName: 'Slurm',

    async prepare(task: GlueTask, queue: QueueRef): Promise<SlurmPreparedJob> {
      const template = options.templates.get(queue.id);
      if (!template) throw new JobRejectedError('Slurm glue: no template', `no sbatch template for queue ${queue.name}`);
      let singularityImage: string | null = null;
      if (options.singularity) {
        singularityImage = String(task.container?.image ?? '').trim() || options.singularity.defaultImage.trim();
        if (!singularityImage) {
          throw new JobRejectedError('Slurm glue: no container image', '--singularity-mode needs an image: set the task\'s container image or agent.default_docker.image');
        }
      }
      try {
        const blocks = jobBlocks({
          taskId: task.id,
          queue,
          jobWorkerId: `${options.workerId}:${task.id}`,
          agentCommand: options.agentCommand,
          configFile: options.configFile,
          singularityImage,
        });
        const projectName = needsProjectName(template) && task.project ? await options.projectName(task.project) : null;
        const script = renderSlurmTemplate(template, { queue, workerId: options.workerId, task: task as GlueTask & Record<string, unknown>, projectName, blocks });
        return { taskId: task.id, script, summary: `template ${template.name}${singularityImage ? `, singularity image ${singularityImage}` : ''}` };
      } catch (error) {
        if (error instanceof TemplateError) throw new JobRejectedError('Slurm glue: template error', error.message);
        throw new JobRejectedError('Slurm glue: cannot make the job', (error as Error).message);
      }
    },

    async submit(job) {
      await mkdir(options.workDir, { recursive: true, mode: 0o700 });
      const result = await run('sbatch', ['--parsable', `--job-name=${jobNameFor(job.taskId)}`], { input: job.script, cwd: options.workDir });
      if (result.notFound) throw new SchedulerUnavailableError('sbatch is not on PATH; install the Slurm client on this host');
      const jobId = result.exitCode === 0 ? parseSbatchJobId(result.stdout) : null;
      if (jobId === null) {
        const words = firstLines(result.stderr) || firstLines(result.stdout) || `exit code ${String(result.exitCode)}`;
        // sbatch's own refusals name the job's problem; a controller that does not answer is ours.
        if (/Unable to contact slurm controller|Socket timed out|Connection refused/i.test(words)) throw new SchedulerUnavailableError(`sbatch: ${words}`);
        throw new JobRejectedError('Slurm refused the job', `sbatch refused the job: ${words}`);
      }
      return jobId;
    },

    async findJob(taskId) {
      const rows = await squeue([`--name=${jobNameFor(taskId)}`]);
      const live = rows.find((row) => slurmPhase(row.state) !== 'ended');
      return live?.jobId ?? null;
    },

    async observe(entries: readonly SchedulerJobEntry[]) {
      const rows = new Map((await squeue([])).map((row) => [row.jobId, row]));
      const observations = new Map<string, JobObservation>();
      for (const entry of entries) {
        if (!entry.jobId) continue;
        const row = rows.get(entry.jobId);
        if (row) {
          const phase = slurmPhase(row.state);
          // `None`: not looked at by the scheduler yet (just submitted).
          if (phase === 'pending') observations.set(entry.taskId, { phase, reason: row.reason === 'None' ? 'waiting for the scheduler' : row.reason, never: permanentPendingReason(row.reason) });
          else if (phase === 'running') observations.set(entry.taskId, { phase, where: row.nodes });
          else {
            const record = await showJob(entry.jobId);
            observations.set(entry.taskId, { phase: 'ended', state: row.state, detail: endedDetail(record?.['ExitCode'], record?.['Reason'] ?? row.reason) });
          }
          continue;
        }
        const record = await showJob(entry.jobId);
        if (record?.['JobState']) {
          const state = record['JobState'];
          const phase = slurmPhase(state);
          if (phase === 'ended') observations.set(entry.taskId, { phase, state, detail: endedDetail(record['ExitCode'], record['Reason']) });
          else if (phase === 'running') observations.set(entry.taskId, { phase, where: record['NodeList'] ?? '' });
          else observations.set(entry.taskId, { phase, reason: record['Reason'] ?? '', never: permanentPendingReason(record['Reason'] ?? '') });
          continue;
        }
        const account = await accounted(entry.jobId);
        if (account) observations.set(entry.taskId, { phase: 'ended', state: account.state, detail: endedDetail(account.exitCode, account.reason) });
        else observations.set(entry.taskId, { phase: 'gone' });
      }
      return observations;
    },

    async cancel(entry) {
      if (!entry.jobId) return;
      const result = await run('scancel', [entry.jobId]);
      if (result.exitCode !== 0 && !/already completing or completed|Invalid job id/i.test(result.stderr)) {
        throw new SchedulerUnavailableError(`scancel ${entry.jobId} failed: ${firstLines(result.stderr)}`);
      }
    },

    async cleanup() {
      // Slurm keeps nothing the glue must remove.
    },

    async outputTail(entry) {
      if (!entry.jobId) return [];
      const record = await showJob(entry.jobId);
      const path = record?.['StdOut'];
      if (!path) return [];
      return fileTail(path).catch(() => []);
    },
  };
}
