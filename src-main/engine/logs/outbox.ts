// The task outbox of a machine: every task's log spool plus, once its run ended, the final
// status still to be reported (outbox-entry.ts). A run's ending goes through it — the log tail
// is acknowledged first, then the status is reported — and when the server is not there and
// the agent must move on, the entry simply stays: any agent process on the machine (a daemon
// of any worker id, an `execute`) that drains the outbox ships it, in order and once (the
// spool lock), as soon as the server answers.

import { access } from 'node:fs/promises';
import type { FileLock } from '../locks/file-lock.js';
import { DEFAULT_MAX_BATCH_BYTES } from './batch.js';
import { LogShipperError } from './errors.js';
import type { OutboxEntryRecord, OutboxServer, PendingFinalStatus } from './outbox-entry.js';
import { readOutboxEntry, reportFinalStatusOnce, writeOutboxEntry } from './outbox-entry.js';
import { defaultRetryDelayMs } from './retry.js';
import { describeError } from './server-errors.js';
import { LiveShipper, validateCommonOptions, waitAtMost } from './shipper.js';
import { ensureSpoolDir, listOutboxTasks, spoolPaths, tryLockSpool } from './spool.js';
import { SpoolSession, removeSpoolFiles, type SpoolSessionOptions } from './spool-session.js';
import type { LogShipper, LogShipperOptions, LogSink } from './types.js';

const DEFAULT_RESCAN_INTERVAL_MS = 10_000;
const DEFAULT_MAX_CONCURRENT = 4;
const DEFAULT_CLOSE_WAIT_MS = 5_000;

export interface TaskOutboxOptions {
  /** The machine's spool folder (agent.spool_dir). */
  spoolDir: string;
  /** The API server this agent talks to (api.api_server): entries written for another server are left alone. */
  serverUrl: string;
  server: OutboxServer;
  /** Events of a spool without a record (an agent that died mid-run) are sent as this worker. */
  workerId: string;
  /** The agent's own diagnostics (never task output). */
  log?: (line: string) => void;
  maxBatchBytes?: number;
  /** Delay before retry `attempt` of a batch or status report. Default: jittered exponential ≤ 5 s. */
  retryDelayMs?: (attempt: number) => number;
  /** How often `drain()` looks for entries other agents left. Default 10 s. */
  rescanIntervalMs?: number;
  /** Entries shipped at the same time. Default 4. */
  maxConcurrent?: number;
  now?: () => number;
}

export interface FinishOptions {
  /** The status to report once the log is in; null: ship the log only (someone else decided the status). */
  status: PendingFinalStatus | null;
  /** How long to wait for the server; after that the outbox keeps the entry (in the background, and on disk). */
  waitMs: number;
  /** Stop waiting when this fires (the agent is shutting down). */
  signal?: AbortSignal;
  /**
   * Stop waiting as soon as the server is seen not to answer (the agent is stopping: a server
   * that is down will not come back within the wait, so the entry is left at once).
   */
  handOverWhenUnreachable?: boolean;
}

export interface FinishResult {
  /** Every line acknowledged and the status reported (or answered with an error) within the wait. */
  done: boolean;
  /** Lines this run's shipper delivered. */
  shipped: number;
  /** Lines still in the spool when the wait ended (0 when done). */
  pending: number;
  /** The server's answer when it refused the status call (e.g. the SDK had already set a final status). */
  statusError: string | null;
  /** When not done: what happens to the rest, for the terminal. */
  note: string | null;
}

export interface OutboxShipper extends LogShipper {
  /**
   * Ends the run's log: ships the rest, then reports `status`. The entry is recorded on disk
   * first, so when the wait ends before the server answers nothing is lost: this outbox goes
   * on in the background, and any later agent on the machine finishes it.
   */
  finish(opts: FinishOptions): Promise<FinishResult>;
}

export type OutboxShipperOptions = Omit<LogShipperOptions, 'spoolDir' | 'sink' | 'maxBatchBytes' | 'retryDelayMs' | 'log'>;

export interface TaskOutbox {
  readonly spoolDir: string;
  /** The log of a task this process runs now; its spool is part of the outbox. */
  openShipper(opts: OutboxShipperOptions): OutboxShipper;
  /** Reports a final status when there is no log to ship (the spool could not be opened), through the outbox. */
  finishWithoutLog(taskId: string, workerId: string, opts: FinishOptions): Promise<FinishResult>;
  /**
   * Starts shipping, in the background, every entry on disk that no live agent holds: runs
   * that ended while the server was down, spools of agents that died. Rescans every
   * `rescanIntervalMs` until closed. Idempotent.
   */
  drain(): void;
  /** Resolves true once no entry of this server is left (on disk or under way); false after `timeoutMs`. */
  whenEmpty(timeoutMs?: number): Promise<boolean>;
  /**
   * Stops shipping and lets go of every entry (after a batch in flight settles, at most
   * `waitMs`, default 5 s); entries stay on disk for the next agent. Live shippers stop too.
   */
  close(opts?: { waitMs?: number }): Promise<void>;
  /** Entries being shipped or reported right now (live runs not counted). */
  readonly busyEntries: number;
}

interface Work {
  readonly promise: Promise<void>;
  stopped: boolean;
  /** Status calls that got no answer so far. */
  statusFailures: number;
  /** The task runs again here: ship the old lines, but forget the old run's status. */
  superseded: boolean;
  session: SpoolSession | null;
  cancelSleep: (() => void) | null;
}

/** Server URLs compare without case in the host part and without trailing slashes (http://h:8008/ = http://H:8008). */
function normalizeServerUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

function entryNote(taskId: string, pending: number, status: PendingFinalStatus | null): string {
  const what = status ? `${pending} log lines and the final status (${status.call}, "${status.statusReason}")` : `${pending} log lines`;
  return `The server did not take the rest of task ${taskId}'s log in time: ${what} are kept in the task outbox and sent, in order, by this or the next agent on this machine as soon as the server answers`;
}

export function openTaskOutbox(opts: TaskOutboxOptions): TaskOutbox {
  const serverCalls = ['addLogEvents', 'completed', 'failed', 'stopped', 'mergeRuntime'] as const;
  if (!opts.server || serverCalls.some((call) => typeof opts.server[call] !== 'function')) {
    throw new LogShipperError(`task outbox: server must offer ${serverCalls.join(', ')} (the task-run API over a client)`);
  }
  validateCommonOptions({ workerId: opts.workerId, spoolDir: opts.spoolDir, sink: { addBatch: () => Promise.resolve() }, maxBatchBytes: opts.maxBatchBytes });
  if (typeof opts.serverUrl !== 'string' || opts.serverUrl.length === 0) {
    throw new LogShipperError('task outbox: serverUrl must name the API server (api.api_server) the entries belong to');
  }
  const { spoolDir, server } = opts;
  const serverUrl = normalizeServerUrl(opts.serverUrl);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const retryDelayMs = opts.retryDelayMs ?? ((attempt: number) => defaultRetryDelayMs(attempt));
  const maxConcurrent = opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  const sink: LogSink = { addBatch: (events) => server.addLogEvents(events) };
  const works = new Map<string, Work>();
  const lives = new Map<string, LiveShipper>();
  const foreign = new Set<string>();
  const closing = new AbortController();
  let closed = false;
  let rescanTimer: NodeJS.Timeout | null = null;
  let scanning: Promise<void> | null = null;
  let rescanRequested = false;

  const sessionOptions = (taskId: string, workerId: string): SpoolSessionOptions => ({ taskId, workerId, sink, maxBatchBytes, retryDelayMs, log, now });

  function sleep(work: Work, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      work.cancelSleep = done;
      function done(): void {
        clearTimeout(timer);
        work.cancelSleep = null;
        resolve();
      }
    });
  }

  /** Reports the status until the server answers; 'stopped' when the work was stopped first. */
  async function reportStatus(taskId: string, status: PendingFinalStatus, work: Work): Promise<{ kind: 'reported' | 'stopped' } | { kind: 'refused'; error: string }> {
    for (let attempt = 1; ; attempt++) {
      if (work.stopped) return { kind: 'stopped' };
      const outcome = await reportFinalStatusOnce(server, taskId, status);
      if (outcome.kind === 'reported') return outcome;
      if (outcome.kind === 'refused') {
        log(`task ${taskId}: the server refused the final status ${status.call} (${outcome.error}); leaving the task as the server has it`);
        return outcome;
      }
      work.statusFailures++;
      if ((attempt & (attempt - 1)) === 0) log(`task ${taskId}: final status ${status.call} not reported yet (attempt ${attempt}): ${outcome.error}; retrying`);
      await sleep(work, retryDelayMs(attempt));
    }
  }

  /**
   * Ships the spool to its end, then reports the status, then deletes the entry. Stopped
   * part-way, it closes the files and frees the lock: the entry stays for the next agent.
   */
  async function completeEntry(taskId: string, session: SpoolSession | null, status: PendingFinalStatus | null, work: Work): Promise<string | null> {
    let statusError: string | null = null;
    try {
      if (session) {
        // Retry pauses do not keep the process alive: whoever waits for the entry holds a timer of its own.
        const outcome = await session.shipAll({ keepAlive: false });
        if (outcome !== 'shipped' || work.stopped) return statusError;
      }
      if (status && !work.superseded) {
        const reported = await reportStatus(taskId, status, work);
        if (reported.kind === 'stopped') return statusError;
        if (reported.kind === 'refused') statusError = reported.error;
      }
      if (session) await session.close({ remove: true });
      return statusError;
    } finally {
      await session?.close({ remove: false });
    }
  }

  function startWork(taskId: string, body: (work: Work) => Promise<void>): Work {
    const work: Work = { promise: Promise.resolve(), stopped: false, statusFailures: 0, superseded: false, session: null, cancelSleep: null };
    const promise = body(work)
      .catch((err: unknown) => log(`task outbox: task ${taskId}: ${describeError(err)}; its entry stays for the next agent`))
      .finally(() => {
        if (works.get(taskId) === work) works.delete(taskId);
      });
    (work as { promise: Promise<void> }).promise = promise;
    works.set(taskId, work);
    return work;
  }

  function stopWork(work: Work): void {
    work.stopped = true;
    work.session?.pump.stop();
    work.cancelSleep?.();
  }

  /** Finishes an entry whose lock this outbox took; returns whether the outbox should look again at once. */
  async function drainEntry(taskId: string, lock: FileLock, work: Work): Promise<boolean> {
    const paths = spoolPaths(spoolDir, taskId);
    let session: SpoolSession | null = null;
    try {
      const record = await readOutboxEntry(paths.entry, log);
      if (record && normalizeServerUrl(record.server) !== serverUrl) {
        foreign.add(taskId);
        return false;
      }
      const hasSpool = await access(paths.spool).then(() => true, () => false);
      if (!hasSpool && !record) return false;
      if (hasSpool) {
        session = await SpoolSession.open(spoolDir, taskId, { kind: 'held', lock }, sessionOptions(taskId, record?.workerId ?? opts.workerId));
        work.session = session;
      }
      const status = record?.final ?? null;
      if (session && session.leftoverLines > 0) {
        log(`task outbox: shipping ${session.leftoverLines} log lines of task ${taskId}${status ? ` and then its final status (${status.call})` : ''} left by an earlier agent`);
      }
      await completeEntry(taskId, session, status, work);
      if (!session && !work.stopped) await removeSpoolFiles(paths);
      return !work.stopped;
    } finally {
      // The session frees the lock when it closes; without one it is ours to free.
      if (!session) await lock.release();
    }
  }

  async function scan(): Promise<void> {
    if (closed) return;
    let ids: string[];
    try {
      ids = await listOutboxTasks(spoolDir);
    } catch (err) {
      log(`task outbox: cannot list ${spoolDir}: ${describeError(err)}`);
      return;
    }
    for (const taskId of ids) {
      if (closed || works.size >= maxConcurrent) break;
      if (works.has(taskId) || lives.has(taskId) || foreign.has(taskId)) continue;
      // The lock first: an entry another agent ships must not take one of our slots.
      let lock: FileLock | null;
      try {
        lock = await tryLockSpool(spoolPaths(spoolDir, taskId));
      } catch (err) {
        log(`task outbox: cannot lock the entry of task ${taskId}: ${describeError(err)}`);
        continue;
      }
      if (!lock) continue; // a live agent ships it
      if (closed || works.has(taskId) || lives.has(taskId)) {
        await lock.release();
        continue;
      }
      const taken = lock;
      startWork(taskId, async (work) => {
        if (await drainEntry(taskId, taken, work)) requestScan();
      });
    }
  }

  function requestScan(): void {
    if (closed) return;
    if (scanning) {
      rescanRequested = true;
      return;
    }
    scanning = scan().finally(() => {
      scanning = null;
      if (rescanRequested) {
        rescanRequested = false;
        requestScan();
      }
    });
  }

  function openShipper(shipperOpts: OutboxShipperOptions): OutboxShipper {
    if (closed) throw new LogShipperError('task outbox: closed; open a new one');
    const { taskId, workerId } = shipperOpts;
    const earlier = works.get(taskId);
    if (earlier) {
      // The same task runs again on this machine: its old lines go first, its old status is moot.
      earlier.superseded = true;
      stopWork(earlier);
    }
    const live = new LiveShipper({ now, ...shipperOpts, spoolDir, sink, maxBatchBytes, retryDelayMs, log }, async (options) => {
      await earlier?.promise;
      await ensureSpoolDir(spoolDir);
      const session = await SpoolSession.open(spoolDir, taskId, { kind: 'wait', signal: closing.signal }, options);
      if (!session) throw new LogShipperError(`task outbox closed before the log spool of task ${taskId} could be locked`);
      try {
        const paths = session.paths;
        const previous = await readOutboxEntry(paths.entry, log);
        if (previous?.final) {
          session.append(
            'WARNING',
            now(),
            `tray-agent: an earlier run of this task ended (${previous.final.call}, "${previous.final.statusReason}") while the server could not be reached; ` +
              'the task runs again now, so that status is not reported\n',
          );
        }
        const record: OutboxEntryRecord = { version: 1, taskId, workerId, server: serverUrl, createdAt: new Date(now()).toISOString() };
        await writeOutboxEntry(paths.entry, record);
        return session;
      } catch (err) {
        await session.close({ remove: false });
        throw err;
      }
    });
    lives.set(taskId, live);
    let finishing: Promise<FinishResult> | null = null;

    async function finish(finishOpts: FinishOptions): Promise<FinishResult> {
      const session = await live.seal();
      if (!session) {
        lives.delete(taskId);
        const result = await finishWithoutLog(taskId, workerId, finishOpts);
        return { ...result, pending: live.stats().pendingLines };
      }
      const status = finishOpts.status;
      const record: OutboxEntryRecord = {
        version: 1,
        taskId,
        workerId,
        server: serverUrl,
        createdAt: new Date(now()).toISOString(),
        ...(status ? { final: { ...status, endedAt: new Date(now()).toISOString() } } : { noStatus: true }),
      };
      try {
        await writeOutboxEntry(session.paths.entry, record);
      } catch (err) {
        log(`task outbox: cannot record the final status of task ${taskId} (${describeError(err)}); it is reported only if the server answers while this agent runs`);
      }
      let statusError: string | null = null;
      const work = startWork(taskId, async (w) => {
        w.session = session;
        statusError = await completeEntry(taskId, session, status, w);
      });
      lives.delete(taskId);
      const outcome = await waitAtMost(untilUnreachable(work.promise, work, finishOpts), finishOpts.waitMs, finishOpts.signal);
      const stats = live.stats();
      if (outcome !== 'timeout' && !work.stopped) return { done: true, shipped: live.shippedByThis, pending: 0, statusError, note: null };
      return { done: false, shipped: live.shippedByThis, pending: stats.pendingLines, statusError: null, note: entryNote(taskId, stats.pendingLines, status) };
    }

    return {
      writeStdout: (chunk) => live.writeStdout(chunk),
      writeStderr: (chunk) => live.writeStderr(chunk),
      agentLine: (level, text) => live.agentLine(level, text),
      flush: () => live.flush(),
      async close(closeOpts) {
        const result = await (finishing ??= finish({ status: null, waitMs: closeOpts?.timeoutMs ?? 10_000 }));
        return { shipped: result.shipped, pending: result.pending };
      },
      finish(finishOpts) {
        return (finishing ??= finish(finishOpts));
      },
      stats: () => live.stats(),
    };
  }

  async function finishWithoutLog(taskId: string, workerId: string, finishOpts: FinishOptions): Promise<FinishResult> {
    const status = finishOpts.status;
    if (!status) return { done: true, shipped: 0, pending: 0, statusError: null, note: null };
    const paths = spoolPaths(spoolDir, taskId);
    let recorded = false;
    try {
      await ensureSpoolDir(spoolDir);
      await writeOutboxEntry(paths.entry, {
        version: 1,
        taskId,
        workerId,
        server: serverUrl,
        createdAt: new Date(now()).toISOString(),
        final: { ...status, endedAt: new Date(now()).toISOString() },
      });
      recorded = true;
    } catch (err) {
      log(`task outbox: cannot record the final status of task ${taskId}: ${describeError(err)}`);
    }
    let statusError: string | null = null;
    const work = startWork(taskId, async (w) => {
      const lock = recorded ? await tryLockSpool(paths) : null;
      try {
        const reported = await reportStatus(taskId, status, w);
        if (reported.kind === 'refused') statusError = reported.error;
        if (reported.kind !== 'stopped' && recorded) await removeSpoolFiles(paths);
      } finally {
        await lock?.release();
      }
    });
    const outcome = await waitAtMost(untilUnreachable(work.promise, work, finishOpts), finishOpts.waitMs, finishOpts.signal);
    if (outcome !== 'timeout' && !work.stopped) return { done: true, shipped: 0, pending: 0, statusError, note: null };
    return { done: false, shipped: 0, pending: 0, statusError: null, note: entryNote(taskId, 0, status) };
  }

  /** `promise`, or 'timeout' once the server is seen not to answer (when the caller asked for that). */
  function untilUnreachable(promise: Promise<void>, work: Work, finishOpts: FinishOptions): Promise<void | 'timeout'> {
    if (!finishOpts.handOverWhenUnreachable) return promise;
    const unreachable = (): boolean => (work.session?.pump.consecutiveFailures ?? 0) > 0 || work.statusFailures > 0;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<'timeout'>((resolve) => {
      const check = (): void => {
        if (unreachable()) resolve('timeout');
      };
      timer = setInterval(check, 50);
      check();
    });
    return Promise.race([promise, seen]).finally(() => clearInterval(timer));
  }

  return {
    spoolDir,
    openShipper,
    finishWithoutLog,
    drain() {
      if (closed || rescanTimer) return;
      rescanTimer = setInterval(requestScan, opts.rescanIntervalMs ?? DEFAULT_RESCAN_INTERVAL_MS);
      rescanTimer.unref();
      requestScan();
    },
    async whenEmpty(timeoutMs = Infinity) {
      const deadline = now() + timeoutMs;
      for (;;) {
        if (works.size === 0) {
          const ids = await listOutboxTasks(spoolDir).catch(() => [] as string[]);
          if (ids.every((id) => foreign.has(id))) return true;
          requestScan();
        }
        if (closed || now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(1, deadline - now()))));
      }
    },
    async close(closeOpts) {
      if (closed) return;
      closed = true;
      closing.abort();
      if (rescanTimer) clearInterval(rescanTimer);
      await scanning;
      // Live runs keep their spools (their runs end through finish); only waits for a lock end here.
      const all = [...works.values()];
      for (const work of all) stopWork(work);
      await waitAtMost(Promise.all(all.map((w) => w.promise)), closeOpts?.waitMs ?? DEFAULT_CLOSE_WAIT_MS);
    },
    get busyEntries() {
      return works.size;
    },
  };
}
