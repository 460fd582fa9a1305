import { Command } from 'commander';
// The backends (sbatch tooling, @kubernetes/client-node, yaml) load only when a glue command runs.
const slurmGlue = () => import('../../engine/glue/slurm/slurm-glue.js');
const k8sGlue = () => import('../../engine/glue/k8s/k8s-glue.js');
import { splitShellWords } from '../../engine/config/index.js';
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
            script = await (await slurmGlue()).renderSlurmDryRun(settings, flags.taskId);
          } catch (error) {
            asUsageError(error);
          }
          process.stdout.write(script.endsWith('\n') ? script : `${script}\n`);
          return;
        }
        const debug = (flags.logLevel ?? '').toUpperCase() === 'DEBUG' || /^(1|true|yes)$/i.test(process.env['CLEARML_SLURM_GLUE_DEBUG'] ?? '');
        const { startSlurmGlue } = await slurmGlue();
        await runUntilSignalled(() => startSlurmGlue(settings, consoleLog(debug)));
      }),
    );
  usageErrorsExitWith2(command);
}

interface K8sCliFlags {
  queue: string[];
  templateYaml?: string;
  queueTemplate?: string[];
  namespace: string;
  maxPods?: string;
  kind?: string;
  kubeconfig?: string;
  credentialsSecret?: string;
  agentCommand: string;
  overridesYaml?: string;
  dryRun?: boolean;
  taskId?: string;
  createQueue?: boolean;
  pollingInterval?: string;
  logLevel?: string;
}

function registerK8s(glue: Command): void {
  const command = glue
    .command('k8s')
    .description('hand tasks from queues to Kubernetes as pods or Jobs, one template per queue (as clearml-agent\'s k8s glue)')
    .requiredOption('--queue <queues...>', 'queue names or ids, highest priority first (also comma-separated: q1,q2)')
    .option('--template-yaml <file>', 'pod (or Job) template for every queue without its own')
    .option('--queue-template <queue=file...>', 'a template for one queue')
    .option('--namespace <namespace>', 'namespace of the pods when the template names none', 'clearml')
    .option('--max-pods <n>', 'at most N pods of this glue at once; a task pulled at the limit goes back to its queue')
    .option('--kind <kind>', 'pod or job (default pod; also CLEARML_K8S_GLUE_KIND)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default $KUBECONFIG, ~/.kube/config, else in-cluster)')
    .option('--credentials-secret <name>', 'Secret with CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY for the pods')
    .option('--agent-command <command>', 'how the pod starts the agent', 'tray-agent')
    .option('--overrides-yaml <file>', 'legacy (clearml-agent ignores it too); put resources in the template')
    .option('--dry-run', 'print the manifest for --task-id, then exit (nothing is created)')
    .option('--task-id <id>', 'with --dry-run: the task to render')
    .option('--create-queue', 'create queues that do not exist')
    .option('--polling-interval <seconds>', 'seconds between passes over queues and pods (default 2)')
    .option('--log-level <level>', 'DEBUG for every status change of every pod')
    .action(
      commandAction('glue k8s', async (flags: K8sCliFlags, cmd: Command) => {
        const configFile = cmd.optsWithGlobals().configFile as string | undefined;
        const kind = (flags.kind ?? process.env['CLEARML_K8S_GLUE_KIND'] ?? 'pod').toLowerCase();
        if (kind !== 'pod' && kind !== 'job') throw new UsageError(`--kind "${flags.kind ?? kind}": expected pod or job`);
        const queueTemplates = (flags.queueTemplate ?? []).map((pair) => {
          const eq = pair.indexOf('=');
          if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--queue-template "${pair}": expected QUEUE=FILE`);
          return { queue: pair.slice(0, eq), file: pair.slice(eq + 1) };
        });
        const agentCommand = splitShellWords(flags.agentCommand);
        if (!agentCommand || agentCommand.length === 0) throw new UsageError(`--agent-command "${flags.agentCommand}": expected a command, e.g. "tray-agent"`);
        if (!flags.templateYaml && queueTemplates.length === 0) throw new UsageError('no pod template: pass --template-yaml FILE (or --queue-template QUEUE=FILE per queue)');
        if (flags.overridesYaml) process.stderr.write('tray-agent glue k8s: --overrides-yaml is ignored (as in clearml-agent); put resources in the template\n');
        const settings = {
          queues: flags.queue.flatMap((q) => q.split(',')).map((q) => q.trim()).filter(Boolean),
          templateYaml: flags.templateYaml ?? null,
          queueTemplates,
          namespace: flags.namespace,
          maxPods: positiveInteger('--max-pods', flags.maxPods),
          kind: kind as 'pod' | 'job',
          kubeconfig: flags.kubeconfig ?? null,
          credentialsSecret: flags.credentialsSecret ?? null,
          agentCommand,
          createQueue: flags.createQueue ?? false,
          pollIntervalSec: pollingSeconds(flags.pollingInterval, 2),
          configFile,
        };
        if (flags.taskId !== undefined && !flags.dryRun) throw new UsageError('--task-id goes with --dry-run');
        if (flags.dryRun) {
          if (!flags.taskId) throw new UsageError('--dry-run needs --task-id: the task whose manifest to print');
          let manifest: string;
          try {
            manifest = await (await k8sGlue()).renderK8sDryRun(settings, flags.taskId);
          } catch (error) {
            asUsageError(error);
          }
          process.stdout.write(manifest);
          return;
        }
        const debug = (flags.logLevel ?? '').toUpperCase() === 'DEBUG';
        const { startK8sGlue } = await k8sGlue();
        await runUntilSignalled(() => startK8sGlue(settings, consoleLog(debug)));
      }),
    );
  usageErrorsExitWith2(command);
}

export function registerGlueCommand(program: Command): void {
  const glue = program.command('glue').description('hand tasks to a cluster scheduler instead of running them here: slurm, k8s');
  registerSlurm(glue);
  registerK8s(glue);
  usageErrorsExitWith2(glue);
}
