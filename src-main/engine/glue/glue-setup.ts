// What both glues set up before their loop: configuration, an API client, the worker id (held
// on this machine like a daemon's), the job registry file and the pending queue.
import { hostname } from 'node:os';
import { loadAgentConfig, collectSecretValues, type AgentConfig } from '../config/index.js';
import { createApiClient, type ApiClient } from '../api/index.js';
import { apiClientOptionsFromConfig } from '../api/from-config.js';
import { workerName, acquireLocalWorkerLock, type LocalWorkerLock } from '../worker-identity/index.js';
import { createRedactor } from '../logs/index.js';
import type { QueueRef } from '../daemon/daemon-api.js';
import { createGlueApi } from './api-adapter.js';
import type { GlueApi } from './glue-api.js';
import { jobRegistryPath, openJobRegistry, type JobRegistry, type SchedulerName } from './job-registry.js';
import { startGlueLoop, type GlueHandle, type GlueLoopOptions } from './glue-loop.js';
import type { SchedulerBackend } from './scheduler-backend.js';

/** Bad flags or files: the CLI reports these as usage errors (exit 2). */
export class GlueSetupError extends Error {
  override readonly name = 'GlueSetupError';
}

export interface GlueConnection {
  readonly config: AgentConfig;
  readonly client: ApiClient;
  readonly api: GlueApi;
  readonly redact: (text: string) => string;
}

/** Loads the configuration and logs in; with `log`, the configuration's warnings and the API's messages go there. */
export async function connectGlue(options: { configFile?: string; log?: (text: string) => void }): Promise<GlueConnection> {
  const { config, warnings } = await loadAgentConfig({ configFile: options.configFile });
  for (const warning of warnings) options.log?.(warning);
  const client = createApiClient(apiClientOptionsFromConfig(config, { logger: (level, msg) => level !== 'debug' && options.log?.(`[api] ${msg}`) }));
  await client.login();
  const redactor = createRedactor({ secrets: collectSecretValues(config), env: process.env });
  return { config, client, api: createGlueApi(client), redact: (text) => redactor.redact(text) };
}

/** `CLEARML_WORKER_ID` / agent.worker_id, else `<worker name>:<scheduler>-glue`. */
export function glueWorkerId(config: AgentConfig, scheduler: SchedulerName, env: Record<string, string | undefined> = process.env): string {
  const explicit = (env['CLEARML_WORKER_ID'] ?? '').trim() || config.agent.workerId.trim();
  if (explicit) return explicit;
  return `${workerName({ hostname: hostname(), workerName: config.agent.workerName, env })}:${scheduler}-glue`;
}

export interface GlueSession {
  readonly workerId: string;
  readonly lock: LocalWorkerLock;
  readonly registry: JobRegistry;
  readonly queues: readonly QueueRef[];
  readonly pendingQueue: QueueRef;
}

export async function openGlueSession(connection: GlueConnection, options: {
  scheduler: SchedulerName;
  queues: readonly string[];
  createQueue: boolean;
  pendingQueueName: string;
  pendingQueueTag: string;
}): Promise<GlueSession> {
  const { config, api } = connection;
  const queues = await api.resolveQueues(options.queues, { create: options.createQueue });
  const pendingQueue = await api.pendingQueue(options.pendingQueueName, options.pendingQueueTag);
  if (queues.some((q) => q.id === pendingQueue.id)) {
    throw new GlueSetupError(`--queue ${options.pendingQueueName}: that is the glue's own pending queue; serve another queue`);
  }
  const workerId = glueWorkerId(config, options.scheduler);
  const lock = await acquireLocalWorkerLock({ stateDir: config.agent.stateDir, workerId });
  try {
    const registry = await openJobRegistry(jobRegistryPath(config.agent.stateDir, options.scheduler, workerId), options.scheduler);
    return { workerId, lock, registry, queues, pendingQueue };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Starts the glue loop for an open session with the scheduler's backend. */
export function startSessionLoop(
  connection: GlueConnection,
  session: GlueSession,
  options: {
    backend: SchedulerBackend;
    maxJobsPerQueue: number | null;
    maxTotalJobs: number | null;
    pollIntervalSec: number;
    log: GlueLoopOptions['log'];
  },
): GlueHandle {
  return startGlueLoop({
    api: connection.api,
    backend: options.backend,
    registry: session.registry,
    queues: session.queues,
    pendingQueue: session.pendingQueue,
    workerId: session.workerId,
    maxJobsPerQueue: options.maxJobsPerQueue,
    maxTotalJobs: options.maxTotalJobs,
    pollIntervalMs: options.pollIntervalSec * 1000,
    // The agent in the job gets its own abort grace to stop the task; the job is cancelled only after that and 15 s more.
    abortGraceMs: (connection.config.agent.abortGraceSec + 15) * 1000,
    log: options.log,
    redact: connection.redact,
  });
}
