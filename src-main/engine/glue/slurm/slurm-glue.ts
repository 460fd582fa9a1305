// `tray-agent glue slurm`: reads and pairs the templates, checks the Slurm client, and starts the
// glue loop with the Slurm backend — or, with --dry-run, renders one task's script and stops.
import { access, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { QueueRef } from '../../daemon/daemon-api.js';
import { agentCommand as defaultAgentCommand } from '../agent-command.js';
import { connectGlue, glueWorkerId, openGlueSession, startSessionLoop, GlueSetupError, type GlueConnection } from '../glue-setup.js';
import type { GlueHandle, GlueLogLevel } from '../glue-loop.js';
import { templateVariables, TemplateError, knownVariableNames, type SlurmTemplate } from './render-template.js';
import { createSlurmBackend } from './slurm-backend.js';
import { createSlurmCommandRunner, type SlurmCommandRunner } from './slurm-commands.js';
import { JobRejectedError } from '../scheduler-backend.js';

export interface SlurmGlueSettings {
  readonly queues: readonly string[];
  readonly templateFiles: readonly string[];
  readonly singularityMode: boolean;
  readonly maxJobs: number | null;
  readonly createQueue: boolean;
  readonly pollIntervalSec: number;
  readonly configFile?: string;
  readonly pendingQueueName?: string;
  /** argv that starts tray-agent in the job (default: this checkout's bin with this node). */
  readonly agentCommand?: readonly string[];
  readonly run?: SlurmCommandRunner;
}

export const defaultSlurmPendingQueue = 'slurm_scheduler';

export async function readTemplates(files: readonly string[]): Promise<SlurmTemplate[]> {
  const templates: SlurmTemplate[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new GlueSetupError(`--template-files ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const template = { name: basename(file), text };
    try {
      templateVariables(template);
    } catch (error) {
      if (error instanceof TemplateError) throw new GlueSetupError(`--template-files ${file}: ${error.message}`);
      throw error;
    }
    templates.push(template);
  }
  return templates;
}

/** Positional pairing (queue i ↔ template i); one template serves every queue. */
export function pairTemplates(queues: readonly QueueRef[], templates: readonly SlurmTemplate[]): Map<string, SlurmTemplate> {
  if (templates.length !== 1 && templates.length !== queues.length) {
    throw new GlueSetupError(`--template-files: ${templates.length} templates for ${queues.length} queues; give one per queue, in the same order (or one for all)`);
  }
  return new Map(queues.map((q, i) => [q.id, templates.length === 1 ? templates[0]! : templates[i]!]));
}

/** Variables no task can fill (misspelt names): worth a warning at start, before a task fails. */
export function unknownTemplateVariables(template: SlurmTemplate): string[] {
  const known = new Set(knownVariableNames.filter((n) => !n.includes('<')));
  return templateVariables(template)
    .filter((v) => v.fallback === null && !known.has(v.spec) && !v.spec.startsWith('CLEARML_TASK.'))
    .map((v) => `${template.name} line ${v.line}: ${v.text}`);
}

async function checkSlurmClient(run: SlurmCommandRunner): Promise<void> {
  const result = await run('sbatch', ['--version']);
  if (result.notFound) throw new GlueSetupError('sbatch is not on PATH: the Slurm glue submits with sbatch; install the Slurm client (Debian: slurm-client) or run on a login node');
}

async function anyOnPath(names: readonly string[]): Promise<boolean> {
  const dirs = (process.env['PATH'] ?? '').split(':').filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      if (await access(join(dir, name)).then(() => true, () => false)) return true;
    }
  }
  return false;
}

function backendFor(settings: SlurmGlueSettings, connection: GlueConnection, queues: readonly QueueRef[], templates: readonly SlurmTemplate[], workerId: string, run: SlurmCommandRunner) {
  const { config, api } = connection;
  return createSlurmBackend({
    templates: pairTemplates(queues, templates),
    workerId,
    agentCommand: settings.agentCommand ?? defaultAgentCommand(),
    configFile: settings.configFile ? resolve(settings.configFile) : null,
    singularity: settings.singularityMode ? { defaultImage: config.agent.defaultDocker.image } : null,
    workDir: join(config.agent.stateDir, 'glue', 'slurm-jobs'),
    run,
    projectName: (id) => api.projectName(id),
  });
}

/** --dry-run: the script `sbatch` would get for this task; submits and changes nothing. */
export async function renderSlurmDryRun(settings: SlurmGlueSettings, taskId: string): Promise<string> {
  const templates = await readTemplates(settings.templateFiles);
  const connection = await connectGlue({ configFile: settings.configFile });
  const queues = await connection.api.resolveQueues(settings.queues, { create: false });
  const task = await connection.api.getTask(taskId);
  const queue = queues.find((q) => q.id === task.execution?.queue) ?? queues[0]!;
  const backend = backendFor(settings, connection, queues, templates, glueWorkerId(connection.config, 'slurm'), settings.run ?? createSlurmCommandRunner());
  try {
    return (await backend.prepare(task, queue)).script;
  } catch (error) {
    if (error instanceof JobRejectedError) throw new Error(error.message, { cause: error });
    throw error;
  }
}

export async function startSlurmGlue(settings: SlurmGlueSettings, log: (level: GlueLogLevel, text: string) => void): Promise<GlueHandle> {
  const templates = await readTemplates(settings.templateFiles);
  const run = settings.run ?? createSlurmCommandRunner();
  await checkSlurmClient(run);
  const connection = await connectGlue({ configFile: settings.configFile, log: (text) => log('warn', text) });
  const session = await openGlueSession(connection, {
    scheduler: 'slurm',
    queues: settings.queues,
    createQueue: settings.createQueue,
    pendingQueueName: settings.pendingQueueName ?? defaultSlurmPendingQueue,
    pendingQueueTag: 'slurm-glue',
  });
  try {
    const backend = backendFor(settings, connection, session.queues, templates, session.workerId, run);
    for (const template of templates) for (const text of unknownTemplateVariables(template)) log('warn', `${text} is not a variable the glue knows: tasks will fail on it unless it gets a default`);
    if (settings.singularityMode && !(await anyOnPath(['singularity', 'apptainer']))) {
      log('warn', '--singularity-mode: neither singularity nor apptainer is on PATH here; jobs fail unless the compute nodes have one');
    }
    const handle = startSessionLoop(connection, session, { backend, maxJobsPerQueue: settings.maxJobs, maxTotalJobs: null, pollIntervalSec: settings.pollIntervalSec, log });
    return { stop: () => handle.stop(), wake: () => handle.wake(), done: handle.done.finally(() => session.lock.release()) };
  } catch (error) {
    await session.lock.release();
    throw error;
  }
}
