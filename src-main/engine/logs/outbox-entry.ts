// The outbox record of one task (`<task>.entry.json`, 0600, next to its spool): which worker
// wrote the spool, for which API server, and — once the run ended — the final status that is
// still to be reported after the last log line is acknowledged. It is what lets any later
// agent on the machine finish a run that an agent had to leave (server down at its end).

import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { describeError } from './server-errors.js';
import type { LogEvent } from './types.js';

export interface StatusChange {
  readonly statusReason: string;
  readonly statusMessage: string;
}

/** A run's final status call, kept until the server has the whole log. */
export interface PendingFinalStatus {
  readonly call: 'completed' | 'failed' | 'stopped';
  readonly statusReason: string;
  readonly statusMessage: string;
  /** Merged into the task's `runtime` before the status call (e.g. phase timings). */
  readonly runtime?: Readonly<Record<string, unknown>>;
}

/**
 * The server calls the outbox makes: log batches and the final status. The task-run API
 * (task-run/api-adapter.ts) has exactly these; give the outbox one over a client that does not
 * retry by itself (maxRetries 0), so the outbox's own retries (≤ 5 s apart) notice the server's
 * return quickly.
 */
export interface OutboxServer {
  addLogEvents(events: readonly LogEvent[]): Promise<void>;
  completed(taskId: string, change: StatusChange): Promise<void>;
  failed(taskId: string, change: StatusChange): Promise<void>;
  stopped(taskId: string, change: StatusChange): Promise<void>;
  /** Read-modify-write of the task's runtime properties. */
  mergeRuntime(taskId: string, values: Record<string, unknown>): Promise<void>;
}

export interface OutboxEntryRecord {
  version: 1;
  taskId: string;
  /** The worker the task ran on: drained events are sent as it. */
  workerId: string;
  /** The API server the task belongs to (api.api_server); an agent of another server leaves it alone. */
  server: string;
  createdAt: string;
  /** Set when the run ended; absent while it runs (or if its agent died mid-run). */
  final?: PendingFinalStatus & { endedAt: string };
  /** Set when the run ended without a status to report (someone else decided it): ship the log only. */
  noStatus?: boolean;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const CALLS = new Set(['completed', 'failed', 'stopped']);

/** Reads a task's outbox record; null when there is none, or when it is unreadable (said in `log`). */
export async function readOutboxEntry(path: string, log: (line: string) => void): Promise<OutboxEntryRecord | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    log(`task outbox: cannot read ${path} (${describeError(err)}); its log is shipped without a final status`);
    return null;
  }
  try {
    const raw = JSON.parse(text) as Partial<OutboxEntryRecord>;
    if (raw.version !== 1 || !isString(raw.taskId) || !isString(raw.workerId) || !isString(raw.server)) throw new Error('fields missing');
    const final = raw.final;
    if (final !== undefined && (!CALLS.has(final.call) || !isString(final.statusReason) || !isString(final.statusMessage))) {
      throw new Error('bad final status');
    }
    return {
      version: 1,
      taskId: raw.taskId,
      workerId: raw.workerId,
      server: raw.server,
      createdAt: isString(raw.createdAt) ? raw.createdAt : '',
      ...(final ? { final } : {}),
      ...(raw.noStatus === true ? { noStatus: true } : {}),
    };
  } catch (err) {
    log(`task outbox: ${path} is damaged (${describeError(err)}); its log is shipped without a final status`);
    return null;
  }
}

/** Writes a task's outbox record whole (aside, then renamed in), private to the user. */
export async function writeOutboxEntry(path: string, record: OutboxEntryRecord): Promise<void> {
  // The record stands in for a status the server has not got yet: it must survive a power cut
  // (the library fsyncs before the rename).
  await writeFileAtomic(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Errors that mean "the server is not there right now" (retry later), as opposed to an answer. */
export function isServerUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const fields = error as Error & { kind?: unknown; httpCode?: unknown };
  if (fields.kind === 'network' || fields.kind === 'timeout' || fields.kind === 'cancelled') return true;
  if (fields.kind === 'http' && typeof fields.httpCode === 'number') {
    return fields.httpCode === 401 || fields.httpCode === 403 || fields.httpCode === 408 || fields.httpCode === 429 || fields.httpCode >= 500;
  }
  // Not an API error (a test sink, a bug): treat it as transient, so nothing is dropped on a guess.
  return fields.kind === undefined;
}

export type StatusReportOutcome = { kind: 'reported' } | { kind: 'refused'; error: string } | { kind: 'unreachable'; error: string };

/**
 * One attempt at the final status: the runtime values, then the status call. A server that
 * answers with an error (the task was deleted, the SDK already set a final status) ends it —
 * clearml-agent also logs and moves on; only "no answer" is worth another attempt.
 */
export async function reportFinalStatusOnce(server: OutboxServer, taskId: string, status: PendingFinalStatus): Promise<StatusReportOutcome> {
  if (status.runtime && Object.keys(status.runtime).length > 0) {
    try {
      await server.mergeRuntime(taskId, { ...status.runtime });
    } catch (err) {
      if (isServerUnreachable(err)) return { kind: 'unreachable', error: describeError(err) };
      // Runtime values are informative; a task that can no longer be edited still gets its status.
    }
  }
  const change: StatusChange = { statusReason: status.statusReason, statusMessage: status.statusMessage };
  try {
    if (status.call === 'completed') await server.completed(taskId, change);
    else if (status.call === 'failed') await server.failed(taskId, change);
    else await server.stopped(taskId, change);
    return { kind: 'reported' };
  } catch (err) {
    return isServerUnreachable(err) ? { kind: 'unreachable', error: describeError(err) } : { kind: 'refused', error: describeError(err) };
  }
}
