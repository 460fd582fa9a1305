// The task's console pipeline: child output → lines → console rules → redaction → spool file
// → batches → sink. Everything is on disk before it is shipped, so neither a server outage nor
// an agent restart loses a line, and the child is never slowed down by the network. No call
// here blocks the event loop on the disk: writes and reads are asynchronous, and output that
// arrives while the spool is being opened waits in memory for it.

import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES } from './batch.js';
import { LogShipperError } from './errors.js';
import { normalizeLines, normalizePartialLine, takeCompleteLines } from './lines.js';
import type { WaitOutcome } from './pump.js';
import { describeError } from './server-errors.js';
import { MAX_MESSAGE_BYTES } from './spool-format.js';
import { spoolPaths } from './spool.js';
import { SpoolSession, spoolLockHolder, type SpoolSessionOptions } from './spool-session.js';
import type { CloseResult, LogLevel, LogShipper, LogShipperOptions, LogShipperStats, LogSink, Redactor, WireLogLevel } from './types.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** A line without `\n` that grows past this is emitted in pieces (it could not be one log message anyway). */
const PARTIAL_LINE_LIMIT = MAX_MESSAGE_BYTES;
/** Output held in memory while the spool is not open yet (normally milliseconds); beyond it, output is counted as lost. */
const PRE_OPEN_LIMIT_BYTES = 32 * 1024 * 1024;
const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARNING: 'WARNING',
  WARN: 'WARNING',
  ERROR: 'ERROR',
};

interface OutputStream {
  readonly decoder: StringDecoder;
  /** The current line, not finished by `\n` yet. */
  partial: string;
  /** When `partial` started (ms). */
  partialSince: number;
}

interface PendingAppend {
  level: LogLevel;
  timestamp: number;
  text: string;
}

export function validateCommonOptions(opts: { workerId: unknown; spoolDir: unknown; sink: unknown; maxBatchBytes?: unknown }): void {
  if (typeof opts.workerId !== 'string' || opts.workerId.length === 0) {
    throw new LogShipperError('log shipper: workerId must be the worker id the events are sent as (a non-empty string)');
  }
  if (typeof opts.spoolDir !== 'string' || opts.spoolDir.length === 0) {
    throw new LogShipperError('log shipper: spoolDir must name the folder for the output spool');
  }
  if (!opts.sink || typeof (opts.sink as LogSink).addBatch !== 'function') {
    throw new LogShipperError('log shipper: sink must have an addBatch(events) method (e.g. the API client’s events)');
  }
  const max = opts.maxBatchBytes;
  if (max !== undefined && (typeof max !== 'number' || !Number.isFinite(max) || max < MIN_MAX_BATCH_BYTES)) {
    throw new LogShipperError(
      `log shipper: maxBatchBytes ${String(max)} is too small; one 64 KiB message can take ${MIN_MAX_BATCH_BYTES} bytes of JSON, use at least that (default ${DEFAULT_MAX_BATCH_BYTES})`,
    );
  }
}

/** Waits for `promise`, at most `timeoutMs` (Infinity: no limit). */
export function waitAtMost<T>(promise: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T | 'timeout'> {
  if (!Number.isFinite(timeoutMs) && !signal) return promise;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
    if (signal) {
      onAbort = () => resolve('timeout');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/** How a live shipper gets its spool (the outbox adds its own bookkeeping around the lock). */
export type OpenSpool = (sessionOptions: SpoolSessionOptions) => Promise<SpoolSession>;

/**
 * The live side of a task's log: what the child and the agent write, turned into spool lines.
 * `createLogShipper` wraps it for standalone use; the task outbox wraps it with `finish`.
 */
export class LiveShipper {
  readonly taskId: string;
  private readonly flushIntervalMs: number;
  private readonly maxBatchBytes: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly redactor: Redactor;
  private readonly suppressCarriageReturn: boolean;
  private readonly stdout: OutputStream = { decoder: new StringDecoder('utf8'), partial: '', partialSince: 0 };
  private readonly stderr: OutputStream = { decoder: new StringDecoder('utf8'), partial: '', partialSince: 0 };
  private readonly ticker: NodeJS.Timeout;
  private session: SpoolSession | null = null;
  private openError: Error | null = null;
  private preOpen: PendingAppend[] = [];
  private preOpenBytes = 0;
  private preOpenLines = 0;
  private lostBeforeOpen = { bytes: 0, lines: 0 };
  private linesBefore = 0;
  private sealing = false;
  private lateWritesReported = false;
  private peakBufferedBytes = 0;
  /** Resolves once the spool is open (or opening failed: see `openError`). */
  readonly opened: Promise<void>;

  constructor(
    opts: LogShipperOptions,
    openSpool: OpenSpool,
  ) {
    validateCommonOptions(opts);
    if (!opts.redactor || typeof opts.redactor.redact !== 'function') {
      throw new LogShipperError('log shipper: redactor is required (createRedactor({ secrets, env }))');
    }
    this.flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (!Number.isFinite(this.flushIntervalMs) || this.flushIntervalMs <= 0) {
      throw new LogShipperError(`log shipper: flushIntervalMs ${this.flushIntervalMs} must be a positive number of milliseconds`);
    }
    spoolPaths(opts.spoolDir, opts.taskId); // a task id that cannot name a file fails here, at once
    this.taskId = opts.taskId;
    this.maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? Date.now;
    this.redactor = opts.redactor;
    this.suppressCarriageReturn = opts.suppressCarriageReturn;

    this.opened = openSpool({
      taskId: opts.taskId,
      workerId: opts.workerId,
      sink: opts.sink,
      maxBatchBytes: this.maxBatchBytes,
      retryDelayMs: opts.retryDelayMs,
      log: this.log,
      now: this.now,
      onBatchInFlight: () => this.notePeak(),
    }).then(
      (session) => this.adopt(session),
      (err: unknown) => {
        this.openError = err instanceof Error ? err : new Error(String(err));
        this.log(`log shipper of task ${opts.taskId}: ${this.openError.message}; the task's output cannot be shipped`);
        this.lostBeforeOpen.bytes += this.preOpenBytes;
        this.lostBeforeOpen.lines += this.preOpenLines;
        this.preOpen = [];
        this.preOpenBytes = 0;
        this.preOpenLines = 0;
      },
    );
    this.ticker = setInterval(() => this.tick(), this.flushIntervalMs);
    this.ticker.unref();
  }

  private adopt(session: SpoolSession): void {
    this.session = session;
    this.linesBefore = session.files.cursor.shippedLines + session.leftoverLines;
    for (const pending of this.preOpen) session.append(pending.level, pending.timestamp, pending.text);
    if (this.lostBeforeOpen.lines > 0) {
      session.append(
        'WARNING',
        this.now(),
        `tray-agent: ${this.lostBeforeOpen.lines} lines (${this.lostBeforeOpen.bytes} bytes) of output were lost here: they arrived while the log spool was still locked\n`,
      );
    }
    this.preOpen = [];
    this.preOpenBytes = 0;
    this.preOpenLines = 0;
    // Leftovers of an earlier run go out right away.
    if (session.leftoverLines > 0) session.pump.kick();
  }

  private append(level: LogLevel, text: string): void {
    const timestamp = this.now();
    if (this.session) {
      this.session.append(level, timestamp, text);
      return;
    }
    const lines = text.split('\n').length - 1;
    if (this.openError || this.preOpenBytes + text.length > PRE_OPEN_LIMIT_BYTES) {
      this.lostBeforeOpen.bytes += Buffer.byteLength(text);
      this.lostBeforeOpen.lines += lines;
      return;
    }
    this.preOpen.push({ level, timestamp, text });
    this.preOpenBytes += text.length;
    this.preOpenLines += lines;
  }

  private bufferedBytes(): number {
    const session = this.session;
    return (
      this.preOpenBytes +
      this.stdout.partial.length +
      this.stderr.partial.length +
      (session ? session.files.writer.bufferedBytes + session.pump.inFlightBytes : 0)
    );
  }

  private notePeak(): void {
    const current = this.bufferedBytes();
    if (current > this.peakBufferedBytes) this.peakBufferedBytes = current;
  }

  /** Whole lines (ending in `\n`) through the console rules and redaction into the spool. */
  private appendLines(level: LogLevel, text: string): void {
    const normalized = normalizeLines(text, this.suppressCarriageReturn);
    if (normalized.length === 0) return;
    this.append(level, this.redactor.redact(normalized));
    this.notePeak();
  }

  /**
   * Emits a line that has no `\n` yet. Unless it is the last one (`final`), a tail that may be
   * the first half of a secret stays behind and joins the next output.
   */
  private emitPartial(stream: OutputStream, final: boolean): void {
    if (stream.partial.length === 0) return;
    const normalized = normalizePartialLine(stream.partial, this.suppressCarriageReturn);
    stream.partial = '';
    stream.partialSince = 0;
    if (normalized.length === 0) return;
    if (final) {
      this.append('DEBUG', this.redactor.redact(normalized));
      return;
    }
    const body = normalized.slice(0, -1);
    const lineStart = body.lastIndexOf('\n') + 1;
    const safe = lineStart + this.redactor.safePrefixLength(body.slice(lineStart));
    // Too long to hold any further: a secret is never that long.
    const emitUpTo = safe === 0 && body.length >= PARTIAL_LINE_LIMIT ? body.length : safe;
    if (emitUpTo > 0) this.append('DEBUG', this.redactor.redact(`${body.slice(0, emitUpTo)}\n`));
    if (emitUpTo < body.length) {
      stream.partial = body.slice(emitUpTo);
      stream.partialSince = this.now();
    }
  }

  private writeChild(stream: OutputStream, chunk: Buffer | string): void {
    if (this.sealing) {
      if (!this.lateWritesReported) {
        this.lateWritesReported = true;
        this.log(`log shipper of task ${this.taskId}: output written after close() is not shipped`);
      }
      return;
    }
    const text = typeof chunk === 'string' ? chunk : stream.decoder.write(chunk);
    if (text.length === 0) return;
    const { complete, rest } = takeCompleteLines(stream.partial, text);
    if (complete.length > 0 || stream.partial.length === 0) stream.partialSince = rest.length > 0 ? this.now() : 0;
    stream.partial = rest;
    if (complete.length > 0) this.appendLines('DEBUG', complete);
    if (stream.partial.length > PARTIAL_LINE_LIMIT) this.emitPartial(stream, false);
  }

  private tick(): void {
    const t = this.now();
    for (const stream of [this.stdout, this.stderr]) {
      if (stream.partial.length > 0 && t - stream.partialSince >= this.flushIntervalMs) this.emitPartial(stream, false);
    }
    const session = this.session;
    if (session) void session.flushToDisk().then(() => session.pump.kick());
  }

  writeStdout(chunk: Buffer | string): void {
    this.writeChild(this.stdout, chunk);
  }

  writeStderr(chunk: Buffer | string): void {
    this.writeChild(this.stderr, chunk);
  }

  agentLine(level: LogLevel | WireLogLevel, text: string): void {
    if (this.sealing) return;
    this.appendLines(LEVEL_NAMES[String(level).toUpperCase()] ?? 'INFO', text.endsWith('\n') ? text : `${text}\n`);
  }

  async flush(): Promise<void> {
    if (this.sealing) return;
    for (const stream of [this.stdout, this.stderr]) this.emitPartial(stream, false);
    await this.opened;
    const session = this.session;
    if (!session) return;
    await session.flushToDisk();
    await session.pump.waitFor(session.files.writer.end, true);
  }

  /**
   * Ends the live part: the last unfinished lines go into the spool, later output is ignored.
   * Resolves to the open spool (null when it never opened); shipping the rest is the caller's.
   */
  async seal(): Promise<SpoolSession | null> {
    if (!this.sealing) {
      this.sealing = true;
      clearInterval(this.ticker);
      for (const stream of [this.stdout, this.stderr]) {
        stream.partial += stream.decoder.end();
        this.emitPartial(stream, true);
      }
    }
    await this.opened;
    if (this.session) await this.session.flushToDisk();
    return this.session;
  }

  /** Why the spool could not be opened, if it could not. */
  get failure(): Error | null {
    return this.openError;
  }

  stats(): LogShipperStats {
    this.notePeak();
    const session = this.session;
    const writtenLines = session ? session.files.writer.writtenLines : 0;
    const spooledLines = this.linesBefore + writtenLines;
    const shippedLines = session ? session.pump.cursor.shippedLines : 0;
    return {
      bufferedBytes: this.bufferedBytes(),
      peakBufferedBytes: this.peakBufferedBytes,
      spoolBytes: session ? session.files.writer.end : 0,
      shippedBytes: session ? session.pump.cursor.offset : 0,
      spooledLines,
      shippedLines,
      pendingLines: spooledLines - shippedLines + this.preOpenLines,
      droppedBytes: (session?.droppedBytes ?? 0) + this.lostBeforeOpen.bytes,
      refusedLines: session?.pump.refusedLines ?? 0,
      consecutiveFailures: session?.pump.consecutiveFailures ?? 0,
      lastError: session?.pump.lastError ?? (this.openError ? this.openError.message : null),
    };
  }

  /** Lines this shipper (its pump) delivered. */
  get shippedByThis(): number {
    return this.session?.pump.shippedLines ?? 0;
  }
}

/**
 * Starts the console pipeline of one task. Output written before an earlier agent crashed (the
 * same task's spool) is shipped first. If another live agent holds the spool, output waits in
 * memory until it is released.
 */
export function createLogShipper(opts: LogShipperOptions): LogShipper {
  const live = new LiveShipper(opts, async (sessionOptions) => {
    const session = await SpoolSession.open(opts.spoolDir, opts.taskId, { kind: 'wait' }, sessionOptions);
    if (!session) throw new LogShipperError(`the log spool of task ${opts.taskId} could not be locked`);
    return session;
  });
  let closing: Promise<CloseResult> | null = null;

  async function closeShipper(timeoutMs: number): Promise<CloseResult> {
    const session = await live.seal();
    if (!session) return { shipped: 0, pending: live.stats().pendingLines };
    const outcome: WaitOutcome | 'timeout' = await waitAtMost(session.shipAll(), timeoutMs);
    if (outcome === 'shipped') {
      await session.close({ remove: true });
      return { shipped: live.shippedByThis, pending: 0 };
    }
    // Keep the lock until a batch still in flight settles, so nobody resumes it meanwhile.
    void session.close({ remove: false });
    const pending = live.stats().pendingLines;
    (opts.log ?? (() => {}))(
      `log shipper of task ${opts.taskId}: gave up with ${pending} lines not shipped; they stay in ${session.paths.spool} for the next agent start`,
    );
    return { shipped: live.shippedByThis, pending };
  }

  return {
    writeStdout: (chunk) => live.writeStdout(chunk),
    writeStderr: (chunk) => live.writeStderr(chunk),
    agentLine: (level, text) => live.agentLine(level, text),
    async flush() {
      if (closing) {
        await closing;
        return;
      }
      await live.flush();
    },
    close(closeOpts) {
      closing ??= closeShipper(closeOpts?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      return closing;
    },
    stats: () => live.stats(),
  };
}

export interface ResumeSpoolOptions {
  spoolDir: string;
  taskId: string;
  workerId: string;
  sink: LogSink;
  maxBatchBytes?: number;
  retryDelayMs?: (attempt: number) => number;
  /** Give up after this long and keep the rest (default: keep trying). */
  timeoutMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

/**
 * Ships what an earlier agent left in a task's spool (after a crash or a close that timed out)
 * from its saved cursor, then deletes the spool. Refused (LogShipperError) while another live
 * agent ships it. The task outbox (outbox.ts) does this for every spool on the machine.
 */
export async function resumeSpool(opts: ResumeSpoolOptions): Promise<CloseResult> {
  validateCommonOptions(opts);
  const log = opts.log ?? (() => {});
  const session = await SpoolSession.open(opts.spoolDir, opts.taskId, { kind: 'try' }, {
    taskId: opts.taskId,
    workerId: opts.workerId,
    sink: opts.sink,
    maxBatchBytes: opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
    retryDelayMs: opts.retryDelayMs,
    log,
    now: opts.now ?? Date.now,
  });
  if (!session) {
    const holder = await spoolLockHolder(spoolPaths(opts.spoolDir, opts.taskId));
    throw new LogShipperError(
      `the log spool of task ${opts.taskId} is in use by process ${holder ?? '(unknown)'}${holder === process.pid ? ' (this agent)' : ''}; ` +
        'close that shipper first, or wait for that agent to finish',
    );
  }
  const leftover = session.leftoverLines;
  try {
    const outcome = await waitAtMost(session.shipAll(), opts.timeoutMs ?? Infinity);
    await session.close({ remove: outcome === 'shipped' });
    return { shipped: session.pump.shippedLines, pending: Math.max(0, leftover - session.pump.shippedLines - session.pump.refusedLines) };
  } catch (err) {
    await session.close({ remove: false }).catch(() => undefined);
    throw new LogShipperError(`resuming the log spool of task ${opts.taskId} failed: ${describeError(err)}`);
  }
}
