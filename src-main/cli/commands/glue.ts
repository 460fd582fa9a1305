import { Command } from 'commander';
import { startSlurmGlue, renderSlurmDryRun } from '../../engine/glue/slurm/slurm-glue.js';
import { GlueSetupError } from '../../engine/glue/glue-setup.js';
import type { GlueHandle, GlueLogLevel } from '../../engine/glue/glue-loop.js';
import { WorkerLockError } from '../../engine/worker-identity/index.js';
import { JobRegistryError } from '../../engine/glue/job-registry.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';

interface SlurmCliFlags {
  queue: string[];
  templateFiles: string[];
  singularityMode?: boolean;
  maxJobs?: string;
  dryRun?: boolean;
  taskId?: string;
  createQueue?: boolean;
  pollingInterval?: string;
  logLevel?: string;
}

function positiveInteger(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} "${value}": expected a whole number ≥ 1`);
  return n;
}

function pollingSeconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1) throw new UsageError(`--polling-interval "${value}": expected seconds ≥ 0.1`);
  return n;
}

function consoleLog(debug: boolean): (level: GlueLogLevel, text: string) => void {
  return (level, text) => {
    if (level === 'debug' && !debug) return;
    process.stdout.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}\n`);
  };
}

/** Bad flags and files exit 2; a second worker with the same id, a broken registry exit 1. */
function asUsageError(error: unknown): never {
  if (error instanceof GlueSetupError) throw new UsageError(error.message);
  if (error instanceof WorkerLockError || error instanceof JobRegistryError) throw new Error(error.message, { cause: error });
  throw error;
}

/** Runs the loop until SIGINT/SIGTERM; in-flight jobs keep running for the next start to adopt. */
async function runUntilSignalled(start: () => Promise<GlueHandle>): Promise<void> {
  let handle: GlueHandle;
  try {
    handle = await start();
  } catch (error) {
    asUsageError(error);
  }
  const onSignal = (): void => handle.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await handle.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function registerSlurm(glue: Command): void {
  const command = glue
    .command('slurm')
    .description('hand tasks from queues to Slurm as sbatch jobs, one template per queue (as clearml-agent-slurm)')
    .requiredOption('--queue <queues...>', 'queue names or ids, highest priority first')
    .requiredOption('--template-files <files...>', 'sbatch templates, one per queue in the same order (or one for all)')
    .option('--singularity-mode', 'run the agent in the job with singularity/apptainer exec (image: the task\'s, else agent.default_docker.image)')
    .option('--max-jobs <n>', 'at most N jobs in flight per queue')
    .option('--dry-run', 'print the script sbatch would get for --task-id, then exit (nothing is submitted)')
    .option('--task-id <id>', 'with --dry-run: the task to render')
    .option('--create-queue', 'create queues that do not exist')
    .option('--polling-interval <seconds>', 'seconds between passes over queues and jobs (default 2)')
    .option('--log-level <level>', 'DEBUG for every status change of every job (also CLEARML_SLURM_GLUE_DEBUG=1)')
    .action(
      commandAction('glue slurm', async (flags: SlurmCliFlags, cmd: Command) => {
        const configFile = cmd.optsWithGlobals().configFile as string | undefined;
        const settings = {
          queues: flags.queue,
          templateFiles: flags.templateFiles,
          singularityMode: flags.singularityMode ?? false,
          maxJobs: positiveInteger('--max-jobs', flags.maxJobs),
          createQueue: flags.createQueue ?? false,
          pollIntervalSec: pollingSeconds(flags.pollingInterval, 2),
          configFile,
        };
        if (flags.taskId !== undefined && !flags.dryRun) throw new UsageError('--task-id goes with --dry-run');
        if (flags.dryRun) {
          if (!flags.taskId) throw new UsageError('--dry-run needs --task-id: the task whose script to print');
          let script: string;
          try {
            script = await renderSlurmDryRun(settings, flags.taskId);
          } catch (error) {
            asUsageError(error);
          }
          process.stdout.write(script.endsWith('\n') ? script : `${script}\n`);
          return;
        }
        const debug = (flags.logLevel ?? '').toUpperCase() === 'DEBUG' || /^(1|true|yes)$/i.test(process.env['CLEARML_SLURM_GLUE_DEBUG'] ?? '');
        await runUntilSignalled(() => startSlurmGlue(settings, consoleLog(debug)));
      }),
    );
  usageErrorsExitWith2(command);
}

export function registerGlueCommand(program: Command): void {
  const glue = program.command('glue').description('hand tasks to a cluster scheduler instead of running them here: slurm, k8s');
  registerSlurm(glue);
  usageErrorsExitWith2(glue);
}
