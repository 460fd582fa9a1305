// The task's console pipeline: child output → lines → console rules → redaction → spool file
// → batches → sink. Everything is on disk before it is shipped, so neither a server outage nor
// an agent restart loses a line, and the child is never slowed down by the network.

import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_MAX_BATCH_BYTES, MIN_MAX_BATCH_BYTES } from './batch.js';
import { LogShipperError } from './errors.js';
import { normalizeLines, normalizePartialLine, takeCompleteLines } from './lines.js';
import type { SpoolPumpOptions, WaitOutcome } from './pump.js';
import { SpoolPump } from './pump.js';
import { defaultRetryDelayMs } from './retry.js';
import type { SpoolCursor, SpoolPaths } from './spool.js';
import { CursorFile, SpoolReader, SpoolWriter, acquireSpoolLock, ensureSpoolDir, spoolPaths } from './spool.js';
import { MAX_MESSAGE_BYTES } from './spool-format.js';
import type { CloseResult, LogLevel, LogShipper, LogShipperOptions, LogShipperStats, LogSink, Redactor } from './types.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Output gathered in memory beyond this is written to the spool at once rather than on the next turn. */
const DISK_FLUSH_BYTES = 256 * 1024;
/** A line without `\n` that grows past this is emitted in pieces (it could not be one log message anyway). */
const PARTIAL_LINE_LIMIT = MAX_MESSAGE_BYTES;
const LEVELS: ReadonlySet<string> = new Set(['DEBUG', 'INFO', 'WARNING', 'ERROR']);

interface OutputStream {
  readonly decoder: StringDecoder;
  /** The current line, not finished by `\n` yet. */
  partial: string;
  /** When `partial` started (ms). */
  partialSince: number;
}

interface OpenedSpool {
  paths: SpoolPaths;
  releaseLock: () => void;
  readFd: number;
  reader: SpoolReader;
  cursorFile: CursorFile;
  cursor: SpoolCursor;
  /** Lines between the cursor and `validEnd`, written by an earlier run. */
  pendingLines: number;
  /** End of the well-formed part of the file. */
  validEnd: number;
}

function validateCommonOptions(opts: { taskId: unknown; workerId: unknown; spoolDir: unknown; sink: unknown; maxBatchBytes?: unknown }): void {
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

/** Opens a task's spool for shipping: lock, cursor, and a scan of what is left to ship. */
function openSpool(spoolDir: string, taskId: string, log: (line: string) => void, readChunkBytes: number): OpenedSpool {
  const paths = spoolPaths(spoolDir, taskId);
  ensureSpoolDir(spoolDir);
  const releaseLock = acquireSpoolLock(paths.lock, taskId);
  let readFd: number | null = null;
  let cursorFile: CursorFile | null = null;
  try {
    // Create it private before anything is written; an old one from a wider umask is tightened.
    fs.closeSync(fs.openSync(paths.spool, 'a', 0o600));
    fs.chmodSync(paths.spool, 0o600);
    readFd = fs.openSync(paths.spool, 'r');
    const reader = new SpoolReader(readFd, readChunkBytes);
    const size = fs.fstatSync(readFd).size;
    cursorFile = new CursorFile(paths.cursor);
    let cursor = cursorFile.read(log);
    if (cursor.offset > size) {
      log(`log spool: the cursor of task ${taskId} points past the end of its spool; shipping the spool from the start`);
      cursor = { offset: 0, lastTimestamp: cursor.lastTimestamp, shippedLines: 0 };
    }
    const scan = reader.scan(cursor.offset, size);
    if (scan.validEnd < size) {
      log(
        `log spool of task ${taskId}: ${size - scan.validEnd} bytes at its end are ${scan.status === 'corrupt' ? 'damaged' : 'cut off (the agent stopped mid-write)'} and are dropped`,
      );
    }
    return { paths, releaseLock, readFd, reader, cursorFile, cursor, pendingLines: scan.lines, validEnd: scan.validEnd };
  } catch (err) {
    if (readFd !== null) fs.closeSync(readFd);
    cursorFile?.close();
    releaseLock();
    throw err instanceof LogShipperError
      ? err
      : new LogShipperError(`cannot open the log spool of task ${taskId} in ${spoolDir}: ${(err as Error).message}`);
  }
}

function closeSpoolFiles(spool: OpenedSpool): void {
  fs.closeSync(spool.readFd);
  spool.cursorFile.close();
}

function removeSpoolFiles(paths: SpoolPaths): void {
  fs.rmSync(paths.spool, { force: true });
  fs.rmSync(paths.cursor, { force: true });
}

/** Waits for `promise`, at most `timeoutMs` (Infinity: no limit). */
function waitAtMost(promise: Promise<WaitOutcome>, timeoutMs: number): Promise<WaitOutcome | 'timeout'> {
  if (!Number.isFinite(timeoutMs)) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the console pipeline of one task. Output written before an earlier agent crashed (the
 * same task's spool) is shipped first.
 */
export function createLogShipper(opts: LogShipperOptions): LogShipper {
  validateCommonOptions(opts);
  if (!opts.redactor || typeof opts.redactor.redact !== 'function') {
    throw new LogShipperError('log shipper: redactor is required (createRedactor({ secrets, env }))');
  }
  const flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  if (!Number.isFinite(flushIntervalMs) || flushIntervalMs <= 0) {
    throw new LogShipperError(`log shipper: flushIntervalMs ${flushIntervalMs} must be a positive number of milliseconds`);
  }
  const maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const redactor: Redactor = opts.redactor;
  const suppressCarriageReturn = opts.suppressCarriageReturn;

  const spool = openSpool(opts.spoolDir, opts.taskId, log, maxBatchBytes);
  let writeFd: number;
  try {
    writeFd = fs.openSync(spool.paths.spool, 'a', 0o600);
    // A half-written block from a crash would hide everything appended after it.
    if (fs.fstatSync(writeFd).size > spool.validEnd) fs.ftruncateSync(writeFd, spool.validEnd);
  } catch (err) {
    closeSpoolFiles(spool);
    spool.releaseLock();
    throw new LogShipperError(`cannot open the log spool of task ${opts.taskId} for writing: ${(err as Error).message}`);
  }
  const writer = new SpoolWriter(writeFd, spool.validEnd);
  const linesBefore = spool.cursor.shippedLines + spool.pendingLines;

  const stdout: OutputStream = { decoder: new StringDecoder('utf8'), partial: '', partialSince: 0 };
  const stderr: OutputStream = { decoder: new StringDecoder('utf8'), partial: '', partialSince: 0 };
  let closing: Promise<CloseResult> | null = null;
  let writerClosed = false;
  let diskFlushScheduled: NodeJS.Immediate | null = null;
  let droppedBytes = 0;
  let droppedSinceReport = { bytes: 0, lines: 0, error: '' };
  let lateWritesReported = false;
  let peakBufferedBytes = 0;

  const pump = spoolPumpFor(opts, spool, maxBatchBytes, log, {
    spoolEnd: () => writer.end,
    beforeRead: () => flushToDisk(),
    onBatchInFlight: () => notePeak(),
  });

  const bufferedBytes = (): number => writer.bufferedBytes + stdout.partial.length + stderr.partial.length + pump.inFlightBytes;
  const notePeak = (): void => {
    const current = bufferedBytes();
    if (current > peakBufferedBytes) peakBufferedBytes = current;
  };

  function flushToDisk(): void {
    if (writerClosed) return;
    if (diskFlushScheduled) {
      clearImmediate(diskFlushScheduled);
      diskFlushScheduled = null;
    }
    notePeak();
    const result = writer.flush();
    if (!result.ok) {
      droppedBytes += result.droppedBytes;
      if (droppedSinceReport.bytes === 0) {
        log(`log spool of task ${opts.taskId}: cannot write task output (${result.error.message}); output is lost until the disk recovers`);
      }
      droppedSinceReport = {
        bytes: droppedSinceReport.bytes + result.droppedBytes,
        lines: droppedSinceReport.lines + result.droppedLines,
        error: result.error.message,
      };
      return;
    }
    if (droppedSinceReport.bytes > 0) {
      const lost = droppedSinceReport;
      droppedSinceReport = { bytes: 0, lines: 0, error: '' };
      // Said in the task's own log, so whoever reads it knows there is a gap.
      writer.append(
        'WARNING',
        now(),
        `tray-agent: ${lost.lines} lines (${lost.bytes} bytes) of output were lost here: the log spool could not be written (${lost.error})\n`,
      );
      writer.flush();
    }
  }

  /** Writes what is gathered; a backlog worth a full batch goes out without waiting for the tick. */
  function flushToDiskAndShipFullBatches(): void {
    flushToDisk();
    if (writer.end - pump.cursor.offset >= maxBatchBytes) pump.kick();
  }

  function afterAppend(): void {
    if (writer.bufferedBytes >= DISK_FLUSH_BYTES) flushToDiskAndShipFullBatches();
    else diskFlushScheduled ??= setImmediate(flushToDiskAndShipFullBatches);
  }

  /** Whole lines (ending in `\n`) through the console rules and redaction into the spool. */
  function appendLines(level: LogLevel, text: string): void {
    const normalized = normalizeLines(text, suppressCarriageReturn);
    if (normalized.length === 0) return;
    writer.append(level, now(), redactor.redact(normalized));
    afterAppend();
  }

  /**
   * Emits a line that has no `\n` yet. Unless it is the last one (`final`), a tail that may be
   * the first half of a secret stays behind and joins the next output.
   */
  function emitPartial(stream: OutputStream, final: boolean): void {
    if (stream.partial.length === 0) return;
    const normalized = normalizePartialLine(stream.partial, suppressCarriageReturn);
    stream.partial = '';
    stream.partialSince = 0;
    if (normalized.length === 0) return;
    if (final) {
      writer.append('DEBUG', now(), redactor.redact(normalized));
      afterAppend();
      return;
    }
    const body = normalized.slice(0, -1);
    const lineStart = body.lastIndexOf('\n') + 1;
    const safe = lineStart + redactor.safePrefixLength(body.slice(lineStart));
    // Too long to hold any further: a secret is never that long.
    const emitUpTo = safe === 0 && body.length >= PARTIAL_LINE_LIMIT ? body.length : safe;
    if (emitUpTo > 0) {
      writer.append('DEBUG', now(), redactor.redact(`${body.slice(0, emitUpTo)}\n`));
      afterAppend();
    }
    if (emitUpTo < body.length) {
      stream.partial = body.slice(emitUpTo);
      stream.partialSince = now();
    }
  }

  function writeChild(stream: OutputStream, chunk: Buffer | string): void {
    if (closing) {
      if (!lateWritesReported) {
        lateWritesReported = true;
        log(`log shipper of task ${opts.taskId}: output written after close() is not shipped`);
      }
      return;
    }
    const text = typeof chunk === 'string' ? chunk : stream.decoder.write(chunk);
    if (text.length === 0) return;
    const { complete, rest } = takeCompleteLines(stream.partial, text);
    if (complete.length > 0 || stream.partial.length === 0) stream.partialSince = rest.length > 0 ? now() : 0;
    stream.partial = rest;
    if (complete.length > 0) appendLines('DEBUG', complete);
    if (stream.partial.length > PARTIAL_LINE_LIMIT) emitPartial(stream, false);
  }

  const tick = (): void => {
    const t = now();
    for (const stream of [stdout, stderr]) {
      if (stream.partial.length > 0 && t - stream.partialSince >= flushIntervalMs) emitPartial(stream, false);
    }
    flushToDisk();
    pump.kick();
  };
  const ticker = setInterval(tick, flushIntervalMs);
  ticker.unref();
  // Leftovers of a crashed run go out right away.
  if (spool.pendingLines > 0) pump.kick();

  const stats = (): LogShipperStats => {
    notePeak();
    const spooledLines = linesBefore + writer.writtenLines;
    return {
      bufferedBytes: bufferedBytes(),
      peakBufferedBytes,
      spoolBytes: writer.end,
      shippedBytes: pump.cursor.offset,
      spooledLines,
      shippedLines: pump.cursor.shippedLines,
      pendingLines: spooledLines - pump.cursor.shippedLines,
      droppedBytes,
      consecutiveFailures: pump.consecutiveFailures,
      lastError: pump.lastError,
    };
  };

  async function closeShipper(timeoutMs: number): Promise<CloseResult> {
    clearInterval(ticker);
    for (const stream of [stdout, stderr]) {
      stream.partial += stream.decoder.end();
      emitPartial(stream, true);
    }
    flushToDisk();
    writerClosed = true;
    fs.closeSync(writeFd);
    pump.keepAlive = true;
    pump.kick();
    const outcome = await waitAtMost(pump.waitFor(writer.end, false), timeoutMs);
    pump.stop();
    const finish = (): void => {
      closeSpoolFiles(spool);
      spool.releaseLock();
    };
    if (outcome === 'shipped') {
      await pump.idle();
      removeSpoolFiles(spool.paths);
      finish();
      return { shipped: pump.shippedLines, pending: 0 };
    }
    // Keep the lock until a batch still in flight settles, so nobody resumes it meanwhile.
    void pump.idle().then(finish);
    const pending = stats().pendingLines;
    log(`log shipper of task ${opts.taskId}: gave up with ${pending} lines not shipped; they stay in ${spool.paths.spool} for the next agent start`);
    return { shipped: pump.shippedLines, pending };
  }

  return {
    writeStdout: (chunk) => writeChild(stdout, chunk),
    writeStderr: (chunk) => writeChild(stderr, chunk),
    agentLine(level, text) {
      if (closing) return;
      const safeLevel: LogLevel = LEVELS.has(level) ? level : 'INFO';
      appendLines(safeLevel, text.endsWith('\n') ? text : `${text}\n`);
    },
    async flush() {
      if (closing) {
        await closing;
        return;
      }
      for (const stream of [stdout, stderr]) emitPartial(stream, false);
      flushToDisk();
      pump.kick();
      await pump.waitFor(writer.end, true);
    },
    close(closeOpts) {
      closing ??= closeShipper(closeOpts?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      return closing;
    },
    stats,
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
}

/**
 * Ships what an earlier agent left in a task's spool (after a crash or a close that timed out)
 * from its saved cursor, then deletes the spool. See listSpooledTasks.
 */
export async function resumeSpool(opts: ResumeSpoolOptions): Promise<CloseResult> {
  validateCommonOptions(opts);
  const maxBatchBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const log = opts.log ?? (() => {});
  const spool = openSpool(opts.spoolDir, opts.taskId, log, maxBatchBytes);
  const pump = spoolPumpFor(opts, spool, maxBatchBytes, log, { spoolEnd: () => spool.validEnd });
  pump.keepAlive = true;
  pump.kick();
  const outcome = await waitAtMost(pump.waitFor(spool.validEnd, false), opts.timeoutMs ?? Infinity);
  pump.stop();
  await pump.idle();
  closeSpoolFiles(spool);
  if (outcome === 'shipped') removeSpoolFiles(spool.paths);
  spool.releaseLock();
  return { shipped: pump.shippedLines, pending: spool.pendingLines - pump.shippedLines };
}

/** The pump that ships one task's spool, for a live shipper and for a resumed spool alike. */
function spoolPumpFor(
  opts: { taskId: string; workerId: string; sink: LogSink; retryDelayMs?: (attempt: number) => number },
  spool: ReturnType<typeof openSpool>,
  maxBatchBytes: number,
  log: (line: string) => void,
  extra: Pick<SpoolPumpOptions, 'spoolEnd' | 'beforeRead' | 'onBatchInFlight'>,
): SpoolPump {
  return new SpoolPump({
    taskId: opts.taskId,
    workerId: opts.workerId,
    reader: spool.reader,
    cursorFile: spool.cursorFile,
    cursor: spool.cursor,
    sink: opts.sink,
    maxBatchBytes,
    retryDelayMs: opts.retryDelayMs ?? ((attempt) => defaultRetryDelayMs(attempt)),
    log,
    ...extra,
  });
}
