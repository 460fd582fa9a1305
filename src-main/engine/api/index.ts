import { hostname } from 'node:os';
import { productVersion } from '../../../src-shared/product.js';
import { ApiSession, type ApiCredentials, type ApiLogger } from './session.js';
import { createHttpSender, sendHttpRequest, type HttpSend } from './transport.js';
import { createTasksService } from './services/tasks.js';
import { createQueuesService } from './services/queues.js';
import { createWorkersService } from './services/workers.js';
import { createEventsService } from './services/events.js';
import { createServerService } from './services/server.js';
import { createProjectsService } from './services/projects.js';
import { resolveQueueId, resolveProjectId } from './name-resolution.js';
import type { ServerCapabilities } from './token.js';
import type { EnvelopeData } from './envelope.js';

export { ApiError, ApiErrorCodes, isApiError, type ApiErrorKind } from './errors.js';
export { compareApiVersions, apiVersionAtLeast } from './versions.js';
export { NameNotFoundError, looksLikeClearmlId, exactNameRegex, clearmlIdPattern } from './name-resolution.js';
export { splitLongLogMessages, packJsonLines, splitUtf8, maxLogMessageBytes, maxBatchRequestBytes, type ClearmlEvent } from './event-batching.js';
export { taskStatuses, finalTaskStatuses, type Task, type TaskStatus, type TaskScript, type Queue, type Worker, type HyperParam, type TaskLogEvent, type UpdateResult } from './models.js';
export { cliArgsSystemTag, cliArgsSection, positionalArgsParam, buildCliArgsHyperparams, cliArgsForTask, CliArgsError } from './cli-args-marking.js';
export type { ServerCapabilities } from './token.js';
export type { ApiCredentials, ApiLogger, ApiLogLevel } from './session.js';
export type { StatusChange, TasksQuery, CreateTaskRequest, CloneTaskRequest, EditTaskRequest, HyperParamInput } from './services/tasks.js';
export type { QueuesQuery, QueueEntry } from './services/queues.js';
export type { StatusReport, MachineStats, RuntimeProperty } from './services/workers.js';
export type { AddBatchResult, TaskLogQuery } from './services/events.js';
export type { ServerInfo } from './services/server.js';

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8008 (api.api_server). */
  apiServer: string;
  credentials?: ApiCredentials;
  /** Start from a token (CLEARML_AUTH_TOKEN) instead of, or besides, the credentials. */
  authToken?: string;
  /** X-ClearML-Worker header; default: the host name (as clearml-agent does, not the worker id). */
  workerName?: string;
  logger?: ApiLogger;
  /** Per-request timeout; default 30 s. Long-poll requests get their wait added. */
  requestTimeoutMs?: number;
  /** Retry HTTP 503 without limit (api.http.wait_on_maintenance_forever); default false. */
  waitOnMaintenanceForever?: boolean;
  /** Retries after the first attempt for no answer / 429 / 502 / 503 / 509; default 5. */
  maxRetries?: number;
  /** First backoff delay (doubles per retry, jittered 50–100 %); default 1000 ms. */
  retryBaseDelayMs?: number;
  /** Backoff cap; default 120 s (clearml's backoff_max). */
  retryMaxDelayMs?: number;
  /** Refresh the token when less than this is left (api.auth.token_expiration_threshold_sec); default 43200 s, 3600 s when started from authToken. */
  tokenRefreshThresholdSec?: number;
  /** Clock in ms (for tests). */
  now?: () => number;
  /** Check an https server's certificate (api.verify_certificate); default true. */
  verifyCertificate?: boolean;
  /** HTTP sender (for tests that need to see raw requests); default node:http(s). */
  send?: HttpSend;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * A typed ClearML API client: one function per endpoint the agent, the `task` command and the
 * UI use, grouped by service, on top of one authenticated session. Nothing is sent until the
 * first call (or `login()`).
 */
export function createApiClient(options: ApiClientOptions) {
  const now = options.now ?? Date.now;
  const session = new ApiSession({
    apiServer: options.apiServer,
    credentials: options.credentials?.accessKey ? options.credentials : null,
    authToken: options.authToken || null,
    workerName: options.workerName || hostname(),
    agentName: `tray-agent-${productVersion}`,
    logger: options.logger ?? (() => {}),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    retry: {
      maxRetries: options.maxRetries ?? 5,
      baseDelayMs: options.retryBaseDelayMs ?? 1_000,
      maxDelayMs: options.retryMaxDelayMs ?? 120_000,
      waitOnMaintenanceForever: options.waitOnMaintenanceForever ?? false,
    },
    tokenRefreshThresholdSec: options.tokenRefreshThresholdSec ?? (options.authToken ? 3_600 : 43_200),
    send: options.send ?? (options.verifyCertificate === false ? createHttpSender({ verifyCertificate: false }) : sendHttpRequest),
    now,
  });
  const queues = createQueuesService(session);
  const projects = createProjectsService(session);
  return {
    apiServer: session.apiServer,
    /** Logs in now; calls log in by themselves, this is for failing early (daemon start-up). */
    login: (): Promise<void> => session.login(),
    /** API level, server version, feature set and long-poll limit from the token; after login. */
    capabilities: (): ServerCapabilities => session.capabilities(),
    /** The current JWT for child processes (CLEARML_AUTH_TOKEN); never log it. */
    currentToken: (): string | null => session.currentToken(),
    tasks: createTasksService(session),
    queues: {
      ...queues,
      /** Name or id → id (exact, case-insensitive match on names). */
      resolveId: (nameOrId: string): Promise<string> => resolveQueueId(queues, nameOrId),
    },
    workers: createWorkersService(session, now),
    events: createEventsService(session, now),
    projects: {
      ...projects,
      resolveId: (nameOrId: string, opts: { create: boolean } = { create: false }): Promise<string> => resolveProjectId(projects, nameOrId, opts),
    },
    server: createServerService(session),
    /** Any other endpoint: `call('tasks.update', {...}, { version: '2.13' })` → the envelope's data. */
    call: (endpoint: string, body: object, callOptions: { version?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<EnvelopeData> =>
      session.call(endpoint, body, callOptions),
  };
}
export { followTaskLog, readNewLogEvents, newLogCursor, type LogCursor } from './task-log-follower.js';
