// Ships a spool file from its cursor to the sink: one batch in flight at a time (so the server
// receives batches in spool order), the same batch retried until it is accepted, the cursor
// saved after each accepted batch (so a restarted agent goes on where this one stopped). It
// never gives up on data: only a stop (the agent moving on) ends it, and the spool stays.

import type { Batch } from './batch.js';
import { buildBatch } from './batch.js';
import { isPermanentRejection } from './server-errors.js';
import type { BlockRef } from './spool-format.js';
import type { CursorFile, SpoolCursor, SpoolReader } from './spool.js';
import type { LogSink } from './types.js';

/** Attempts of a batch the server refuses outright (HTTP 400) before it is dropped. */
const REFUSED_BATCH_ATTEMPTS = 3;

/** Lines that waited out a server outage, reported once they are all delivered. */
export interface DelayedDelivery {
  lines: number;
  /** When shipping started failing (epoch ms). */
  since: number;
  /** When the server first took a batch again. */
  recoveredAt: number;
}

export interface SpoolPumpOptions {
  taskId: string;
  workerId: string;
  reader: SpoolReader;
  cursorFile: CursorFile;
  cursor: SpoolCursor;
  sink: LogSink;
  maxBatchBytes: number;
  retryDelayMs: (attempt: number) => number;
  log: (line: string) => void;
  now: () => number;
  /** End of the spool data that may be shipped now. */
  spoolEnd: () => number;
  /** Called before each read, so data gathered in memory reaches the file first. */
  beforeRead?: () => Promise<void>;
  /** Called when a batch goes in flight (memory accounting). */
  onBatchInFlight?: () => void;
  /** Called once the lines delayed by an outage are all delivered (the shipper puts a note in the task log). */
  onDelayedDelivered?: (delivery: DelayedDelivery) => void;
}

/** Why a wait for shipping ended. */
export type WaitOutcome = 'shipped' | 'send-failed' | 'stopped';

interface Waiter {
  target: () => number;
  /** Also wait until no batch is in flight (nothing more is about to be appended, like a note on delayed lines). */
  untilIdle: boolean;
  returnOnFailure: boolean;
  resolve: (outcome: WaitOutcome) => void;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class SpoolPump {
  cursor: SpoolCursor;
  /** Lines this pump delivered. */
  shippedLines = 0;
  /** Lines the server refused for good (dropped, with a diagnostic). */
  refusedLines = 0;
  consecutiveFailures = 0;
  lastError: string | null = null;
  /** Request bytes of the batch in flight. */
  inFlightBytes = 0;
  /** The spool has a damaged block at the cursor; nothing after it can be shipped. */
  damaged = false;
  /** Keep the process alive during retry sleeps (someone is waiting for the result). */
  keepAlive = false;

  private running: Promise<void> | null = null;
  private stopped = false;
  private waiters: Waiter[] = [];
  private cancelSleep: (() => void) | null = null;
  /** When the server took a batch again after an outage (0: no outage being caught up). */
  private recoveredAt = 0;
  /** Spool end at that moment: the delayed lines are those before it. */
  private backlogEnd = 0;

  constructor(private readonly opts: SpoolPumpOptions) {
    this.cursor = opts.cursor;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts shipping whatever is in the spool, unless already doing so. */
  kick(): void {
    if (this.running || this.stopped || this.damaged) return;
    this.running = this.run()
      .catch((err: unknown) => {
        // A read error (the file vanished, I/O error): keep what is on disk for the next agent.
        this.damaged = true;
        this.opts.log(`log spool of task ${this.opts.taskId}: cannot read it (${describeError(err)}); it stays for the next agent start`);
      })
      .finally(() => {
        this.running = null;
        this.settleWaiters();
      });
  }

  /**
   * Resolves when the cursor reaches `target` (a byte offset; or a function read each time,
   * meaning "everything, including what is still being added", which also waits for the pump
   * to go idle), when the pump stops, or (if asked) when a send fails.
   */
  waitFor(target: number | (() => number), returnOnFailure: boolean): Promise<WaitOutcome> {
    const untilIdle = typeof target === 'function';
    const targetFn = typeof target === 'number' ? () => target : target;
    if (this.cursor.offset >= targetFn() && !(untilIdle && this.running)) return Promise.resolve('shipped');
    if (this.stopped || this.damaged) return Promise.resolve('stopped');
    const promise = new Promise<WaitOutcome>((resolve) => this.waiters.push({ target: targetFn, untilIdle, returnOnFailure, resolve }));
    this.kick();
    return promise;
  }

  /** Stops after the batch in flight (whose result still moves the cursor if it succeeds). */
  stop(): void {
    this.stopped = true;
    this.cancelSleep?.();
    this.settleWaiters();
  }

  /** Resolves once no batch is in flight any more. */
  async idle(): Promise<void> {
    await this.running;
  }

  private settleWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.cursor.offset >= w.target() && !(w.untilIdle && this.running)) w.resolve('shipped');
      else if (this.stopped || this.damaged) w.resolve('stopped');
      else return true;
      return false;
    });
  }

  private failWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.returnOnFailure) return true;
      w.resolve('send-failed');
      return false;
    });
  }

  private async saveCursor(): Promise<void> {
    try {
      await this.opts.cursorFile.write(this.cursor);
    } catch (err) {
      // Shipping goes on; only a restart would resend from the older cursor.
      this.opts.log(`log spool of task ${this.opts.taskId}: cannot save the shipping position: ${describeError(err)}`);
    }
  }

  private async run(): Promise<void> {
    const { reader } = this.opts;
    while (!this.stopped) {
      await this.opts.beforeRead?.();
      const end = this.opts.spoolEnd();
      if (this.cursor.offset >= end) return;
      const { blocks, status } = await reader.read(this.cursor.offset, end);
      if (blocks.length === 0) {
        this.damaged = true;
        this.opts.log(
          `log spool of task ${this.opts.taskId} is ${status === 'corrupt' ? 'damaged' : 'cut off'} at byte ${this.cursor.offset}; ` +
            `the ${end - this.cursor.offset} bytes after it cannot be shipped and stay in the spool`,
        );
        return;
      }
      const source = { text: (block: BlockRef) => reader.payloadText(block), jsonBytes: (block: BlockRef) => reader.payloadJsonBytes(block) };
      const batch = buildBatch(blocks, source, {
        taskId: this.opts.taskId,
        workerId: this.opts.workerId,
        lastTimestamp: this.cursor.lastTimestamp,
        maxBatchBytes: this.opts.maxBatchBytes,
      });
      this.inFlightBytes = batch.bytes;
      this.opts.onBatchInFlight?.();
      // Building a batch and the client's encoding of it are each a few ms of CPU: a turn in
      // between keeps the host's event loop (Electron's main process) from stalling for both.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const outcome = await this.deliver(batch);
      this.inFlightBytes = 0;
      if (outcome === 'stopped') return;
      const previous = this.cursor;
      this.cursor = {
        offset: batch.endOffset,
        lastTimestamp: outcome === 'delivered' ? batch.lastTimestamp : previous.lastTimestamp,
        shippedLines: previous.shippedLines + batch.lines,
        delayedSince: previous.delayedSince,
        delayedFromLines: previous.delayedFromLines,
      };
      if (outcome === 'delivered') this.shippedLines += batch.lines;
      else this.refusedLines += batch.lines;
      const delayed = this.takeDelayedDelivery();
      await this.saveCursor();
      if (delayed) this.opts.onDelayedDelivered?.(delayed);
      this.settleWaiters();
    }
  }

  /** Once the backlog of an outage is through: what to tell the task log (and the outage is over). */
  private takeDelayedDelivery(): DelayedDelivery | null {
    if (this.cursor.delayedSince === 0 || this.recoveredAt === 0 || this.cursor.offset < this.backlogEnd) return null;
    const delivery: DelayedDelivery = {
      lines: this.cursor.shippedLines - this.cursor.delayedFromLines,
      since: this.cursor.delayedSince,
      recoveredAt: this.recoveredAt,
    };
    this.cursor = { ...this.cursor, delayedSince: 0, delayedFromLines: 0 };
    this.recoveredAt = 0;
    return delivery;
  }

  /** Sends one batch until the sink takes it (or refuses it for good); 'stopped' if the pump was stopped first. */
  private async deliver(batch: Batch): Promise<'delivered' | 'refused' | 'stopped'> {
    let refusals = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.sink.addBatch(batch.events);
        if (this.consecutiveFailures > 0) {
          this.opts.log(`log shipping for task ${this.opts.taskId} recovered after ${this.consecutiveFailures} failed attempt(s)`);
        }
        this.consecutiveFailures = 0;
        this.lastError = null;
        if (this.cursor.delayedSince > 0 && this.recoveredAt === 0) {
          // Everything on disk now waited for the server (also when an earlier agent saw the outage begin).
          this.recoveredAt = this.opts.now();
          this.backlogEnd = this.opts.spoolEnd();
        }
        return 'delivered';
      } catch (err) {
        this.consecutiveFailures++;
        this.lastError = describeError(err);
        if (this.cursor.delayedSince === 0) {
          this.cursor = { ...this.cursor, delayedSince: this.opts.now(), delayedFromLines: this.cursor.shippedLines };
          await this.saveCursor();
        }
        this.failWaiters();
        if (isPermanentRejection(err) && ++refusals >= REFUSED_BATCH_ATTEMPTS) {
          this.opts.log(
            `log shipping for task ${this.opts.taskId}: the server refused ${batch.lines} lines ${refusals} times (${this.lastError}); ` +
              'they are dropped (was the task deleted?)',
          );
          this.consecutiveFailures = 0;
          return 'refused';
        }
        if (this.stopped) return 'stopped';
        const delay = this.opts.retryDelayMs(attempt);
        // First failure, then every power of two: an outage of hours stays a few dozen lines.
        if ((attempt & (attempt - 1)) === 0) {
          this.opts.log(
            `log shipping for task ${this.opts.taskId} failed (attempt ${attempt}): ${this.lastError}; ` +
              `retrying in ${delay} ms, output is kept in the spool`,
          );
        }
        await this.sleep(delay);
        if (this.stopped) return 'stopped';
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      if (!this.keepAlive) timer.unref();
      const cancel = (): void => {
        this.cancelSleep = null;
        done();
      };
      this.cancelSleep = cancel;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
