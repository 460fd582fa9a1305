// Ships a spool file from its cursor to the sink: one batch in flight at a time (so the server
// receives batches in spool order), the same batch retried until it is accepted, the cursor
// saved after each accepted batch (so a restarted agent goes on where this one stopped).

import type { Batch } from './batch.js';
import { buildBatch } from './batch.js';
import type { BlockRef } from './spool-format.js';
import type { CursorFile, SpoolCursor, SpoolReader } from './spool.js';
import type { LogSink } from './types.js';

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
  /** End of the spool data that may be shipped now. */
  spoolEnd: () => number;
  /** Called before each read, so data gathered in memory reaches the file first. */
  beforeRead?: () => void;
  /** Called when a batch goes in flight (memory accounting). */
  onBatchInFlight?: () => void;
}

/** Why a wait for shipping ended. */
export type WaitOutcome = 'shipped' | 'send-failed' | 'stopped';

interface Waiter {
  target: number;
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

  constructor(private readonly opts: SpoolPumpOptions) {
    this.cursor = opts.cursor;
  }

  /** Starts shipping whatever is in the spool, unless already doing so. */
  kick(): void {
    if (this.running || this.stopped || this.damaged) return;
    this.running = this.run().finally(() => {
      this.running = null;
      this.settleWaiters();
    });
  }

  /** Resolves when the cursor reaches `target`, when the pump stops, or (if asked) when a send fails. */
  waitFor(target: number, returnOnFailure: boolean): Promise<WaitOutcome> {
    if (this.cursor.offset >= target) return Promise.resolve('shipped');
    if (this.stopped || this.damaged) return Promise.resolve('stopped');
    return new Promise((resolve) => this.waiters.push({ target, returnOnFailure, resolve }));
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
      if (this.cursor.offset >= w.target) w.resolve('shipped');
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

  private async run(): Promise<void> {
    const { reader } = this.opts;
    while (!this.stopped) {
      this.opts.beforeRead?.();
      const end = this.opts.spoolEnd();
      if (this.cursor.offset >= end) return;
      const { blocks, status } = reader.read(this.cursor.offset, end);
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
      const delivered = await this.deliver(batch);
      this.inFlightBytes = 0;
      if (!delivered) return;
      this.cursor = {
        offset: batch.endOffset,
        lastTimestamp: batch.lastTimestamp,
        shippedLines: this.cursor.shippedLines + batch.lines,
      };
      this.shippedLines += batch.lines;
      try {
        this.opts.cursorFile.write(this.cursor);
      } catch (err) {
        // Shipping goes on; only a restart would resend from the older cursor.
        this.opts.log(`log spool of task ${this.opts.taskId}: cannot save the shipping position: ${describeError(err)}`);
      }
      this.settleWaiters();
    }
  }

  /** Sends one batch until the sink takes it; false if the pump was stopped first. */
  private async deliver(batch: Batch): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.sink.addBatch(batch.events);
        if (this.consecutiveFailures > 0) {
          this.opts.log(`log shipping for task ${this.opts.taskId} recovered after ${this.consecutiveFailures} failed attempt(s)`);
        }
        this.consecutiveFailures = 0;
        this.lastError = null;
        return true;
      } catch (err) {
        this.consecutiveFailures++;
        this.lastError = describeError(err);
        this.failWaiters();
        if (this.stopped) return false;
        const delay = this.opts.retryDelayMs(attempt);
        // First failure, then every power of two: an outage of hours stays a few dozen lines.
        if ((attempt & (attempt - 1)) === 0) {
          this.opts.log(
            `log shipping for task ${this.opts.taskId} failed (attempt ${attempt}): ${this.lastError}; ` +
              `retrying in ${delay} ms, output is kept in the spool`,
          );
        }
        await this.sleep(delay);
        if (this.stopped) return false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      if (!this.keepAlive) timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelSleep = () => {
        this.cancelSleep = null;
        done();
      };
    });
  }
}
