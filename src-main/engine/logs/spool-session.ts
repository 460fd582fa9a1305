// One task's spool while this process holds it: the open files, the pump that ships them, the
// write path into the file (with disk errors turned into a note in the task log), and the note
// about lines an outage delayed. The live shipper, resumeSpool and the outbox drain all use it.

import { rm } from 'node:fs/promises';
import { readLockHolder, type FileLock } from '../locks/file-lock.js';
import { LogShipperError } from './errors.js';
import type { DelayedDelivery, WaitOutcome } from './pump.js';
import { SpoolPump } from './pump.js';
import { defaultRetryDelayMs } from './retry.js';
import { describeError } from './server-errors.js';
import type { OpenedSpoolFiles, SpoolPaths } from './spool.js';
import { closeSpoolFiles, ensureSpoolDir, lockSpool, openSpoolFiles, spoolPaths, tryLockSpool } from './spool.js';
import type { LogLevel, LogSink } from './types.js';

/** Output gathered in memory beyond this is written to the spool at once rather than on the next turn. */
const DISK_FLUSH_BYTES = 256 * 1024;
/** An outage shorter than this is not worth a line in the task's log. */
export const MIN_NOTED_DELAY_MS = 5_000;

export interface SpoolSessionOptions {
  taskId: string;
  /** Worker the events are sent as. */
  workerId: string;
  sink: LogSink;
  maxBatchBytes: number;
  retryDelayMs?: (attempt: number) => number;
  log: (line: string) => void;
  now: () => number;
  /** Called when a batch goes in flight (memory accounting of the live shipper). */
  onBatchInFlight?: () => void;
}

export type LockMode = { kind: 'try' } | { kind: 'wait'; signal?: AbortSignal } | { kind: 'held'; lock: FileLock };

const secondsText = (ms: number): string => String(Math.max(1, Math.round(ms / 1000)));

/** The task-log line that says lines were held back by an outage and have now arrived. */
export function delayedDeliveryNote(delivery: DelayedDelivery): string {
  return (
    `tray-agent: ${delivery.lines} lines delayed by a server outage of ${secondsText(delivery.recoveredAt - delivery.since)} s were delivered ` +
    `(the server did not answer from ${new Date(delivery.since).toISOString()} to ${new Date(delivery.recoveredAt).toISOString()})\n`
  );
}

/** Who holds a spool lock, for messages. */
export async function spoolLockHolder(paths: SpoolPaths): Promise<number | null> {
  return (await readLockHolder(paths.lock))?.pid ?? null;
}

export class SpoolSession {
  readonly pump: SpoolPump;
  /** Output lost to write errors (disk full). */
  droppedBytes = 0;
  private droppedSinceReport = { bytes: 0, lines: 0, error: '' };
  private flushScheduled: NodeJS.Immediate | null = null;
  private closed = false;

  private constructor(
    readonly taskId: string,
    readonly files: OpenedSpoolFiles,
    private readonly opts: SpoolSessionOptions,
  ) {
    this.pump = new SpoolPump({
      taskId: opts.taskId,
      workerId: opts.workerId,
      reader: files.reader,
      cursorFile: files.cursorFile,
      cursor: files.cursor,
      sink: opts.sink,
      maxBatchBytes: opts.maxBatchBytes,
      retryDelayMs: opts.retryDelayMs ?? ((attempt) => defaultRetryDelayMs(attempt)),
      log: opts.log,
      now: opts.now,
      spoolEnd: () => files.writer.end,
      beforeRead: () => this.flushToDisk(),
      onBatchInFlight: opts.onBatchInFlight,
      onDelayedDelivered: (delivery) => {
        if (delivery.recoveredAt - delivery.since < MIN_NOTED_DELAY_MS) return;
        // Said in the task's own log, where whoever reads it sees why lines came late.
        this.append('INFO', opts.now(), delayedDeliveryNote(delivery));
      },
    });
  }

  /**
   * Locks and opens a task's spool (creating it). With `{ kind: 'try' }` resolves to null when a
   * live agent holds it; with `wait` it polls until the lock is free or the signal aborts (then
   * null); `held` uses a lock the caller took.
   */
  static async open(spoolDir: string, taskId: string, lockMode: LockMode, opts: SpoolSessionOptions): Promise<SpoolSession | null> {
    const paths = spoolPaths(spoolDir, taskId);
    if (lockMode.kind !== 'held') await ensureSpoolDir(spoolDir);
    let lock: FileLock | null;
    try {
      lock =
        lockMode.kind === 'held'
          ? lockMode.lock
          : lockMode.kind === 'try'
            ? await tryLockSpool(paths)
            : await lockSpool(paths, {
                signal: lockMode.signal,
                onWait: (pid) => opts.log(`log spool of task ${taskId} is in use by process ${pid ?? '(unknown)'}; waiting for it to be released`),
              });
    } catch (err) {
      if (lockMode.kind === 'wait' && lockMode.signal?.aborted) return null;
      throw new LogShipperError(`cannot lock the log spool of task ${taskId} (${paths.lock}): ${describeError(err)}`);
    }
    if (!lock) return null;
    try {
      const files = await openSpoolFiles(paths, lock, { taskId, readChunkBytes: opts.maxBatchBytes, log: opts.log });
      return new SpoolSession(taskId, files, opts);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  get paths(): SpoolPaths {
    return this.files.paths;
  }

  /** Lines written to the file by earlier runs and not shipped yet when it was opened. */
  get leftoverLines(): number {
    return this.files.pendingLines;
  }

  /** Whole lines (`text` ends in `\n`, already redacted) into the spool; written on the next turn. */
  append(level: LogLevel, timestamp: number, text: string): void {
    if (this.closed) return;
    this.files.writer.append(level, timestamp, text);
    if (this.files.writer.unwrittenBytes >= DISK_FLUSH_BYTES) void this.flushAndShipFullBatches();
    else this.flushScheduled ??= setImmediate(() => void this.flushAndShipFullBatches());
  }

  /** Writes what is gathered; a backlog worth a full batch goes out without waiting for the tick. */
  private async flushAndShipFullBatches(): Promise<void> {
    await this.flushToDisk();
    if (this.files.writer.end - this.pump.cursor.offset >= this.opts.maxBatchBytes) this.pump.kick();
  }

  /** Writes everything appended so far to the file. Never rejects: a write error drops that output and says so. */
  async flushToDisk(): Promise<void> {
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = null;
    }
    const result = await this.files.writer.flush();
    if (!result.ok) {
      this.droppedBytes += result.droppedBytes;
      if (this.droppedSinceReport.bytes === 0) {
        this.opts.log(`log spool of task ${this.taskId}: cannot write task output (${result.error.message}); output is lost until the disk recovers`);
      }
      this.droppedSinceReport = {
        bytes: this.droppedSinceReport.bytes + result.droppedBytes,
        lines: this.droppedSinceReport.lines + result.droppedLines,
        error: result.error.message,
      };
      return;
    }
    if (this.droppedSinceReport.bytes > 0) {
      const lost = this.droppedSinceReport;
      this.droppedSinceReport = { bytes: 0, lines: 0, error: '' };
      // Said in the task's own log, so whoever reads it knows there is a gap.
      this.files.writer.append(
        'WARNING',
        this.opts.now(),
        `tray-agent: ${lost.lines} lines (${lost.bytes} bytes) of output were lost here: the log spool could not be written (${lost.error})\n`,
      );
      await this.flushToDisk();
    }
  }

  /**
   * Resolves when everything in the spool (and anything appended meanwhile) is shipped, or the
   * pump stopped. `keepAlive: false` lets the process exit during retry pauses (the outbox: an
   * entry left over is the next agent's).
   */
  async shipAll(opts: { keepAlive?: boolean } = {}): Promise<WaitOutcome> {
    this.pump.keepAlive = opts.keepAlive ?? true;
    await this.flushToDisk();
    return this.pump.waitFor(() => this.files.writer.end, false);
  }

  /**
   * Stops shipping and lets go of the spool: after the batch in flight settles (its result may
   * still move the cursor), the files are closed — and deleted when `remove` — and the lock freed.
   */
  async close(opts: { remove: boolean }): Promise<void> {
    if (this.closed) return;
    this.pump.stop();
    await this.pump.idle();
    await this.flushToDisk();
    this.closed = true;
    await closeSpoolFiles(this.files);
    if (opts.remove) await removeSpoolFiles(this.files.paths);
    await this.files.lock.release();
  }
}

/** Deletes a task's spool, cursor and outbox record (not the lock: its holder frees it). */
export async function removeSpoolFiles(paths: SpoolPaths): Promise<void> {
  await rm(paths.spool, { force: true });
  await rm(paths.cursor, { force: true });
  await rm(paths.entry, { force: true });
}
