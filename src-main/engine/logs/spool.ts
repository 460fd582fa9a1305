// The files behind a task's log spool: the append-only output file, the "shipped up to" cursor
// and a lock that keeps two agents (say, one daemon per GPU sharing a spool folder, or a
// restarted agent draining old spools) from shipping the same spool twice.
//
// Everything here is asynchronous: the engine runs in Electron's main process, where one
// synchronous file call stalls the tray for as long as the disk takes.

import { constants as fsConstants } from 'node:fs';
import { chmod, mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireFileLock, tryAcquireFileLock, type FileLock } from '../locks/file-lock.js';
import { countLines } from './lines.js';
import type { BlockRef, ParseStatus } from './spool-format.js';
import { MAX_BLOCK_BYTES, MAX_MESSAGE_BYTES, encodeBlockHeader, parseBlocks, splitPayload } from './spool-format.js';
import type { LogLevel } from './types.js';
import { LogShipperError } from './errors.js';

export const SPOOL_SUFFIX = '.spool';
export const ENTRY_SUFFIX = '.entry.json';
const SAFE_TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
/**
 * A spool lock whose holder stopped touching it for this long is taken over even if its pid
 * looks alive (a holder in another pid namespace, or a recycled pid). Holders touch it every 5 s.
 */
export const SPOOL_LOCK_STALE_MS = 5 * 60_000;

export interface SpoolPaths {
  spool: string;
  cursor: string;
  lock: string;
  /** The outbox record: who wrote the spool, for which server, and the pending final status. */
  entry: string;
}

export function spoolPaths(spoolDir: string, taskId: string): SpoolPaths {
  if (!SAFE_TASK_ID.test(taskId)) {
    throw new LogShipperError(
      `task id ${JSON.stringify(taskId)} cannot name a log spool file: use letters, digits, '_', '.' or '-' (a ClearML task id is 32 hex digits)`,
    );
  }
  const base = join(spoolDir, taskId);
  return { spool: `${base}${SPOOL_SUFFIX}`, cursor: `${base}.cursor.json`, lock: `${base}.lock`, entry: `${base}${ENTRY_SUFFIX}` };
}

/** Creates the spool folder private to the agent's user (it holds task output, maybe sensitive). */
export async function ensureSpoolDir(spoolDir: string): Promise<void> {
  try {
    await mkdir(spoolDir, { recursive: true, mode: 0o700 });
    const mode = (await stat(spoolDir)).mode & 0o777;
    if (mode !== 0o700) await chmod(spoolDir, 0o700);
  } catch (err) {
    throw new LogShipperError(
      `cannot use ${spoolDir} as the log spool folder (${(err as Error).message}); point the agent at a writable folder (agent.spool_dir)`,
    );
  }
}

async function namesIn(spoolDir: string): Promise<string[]> {
  try {
    return await readdir(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Task ids that have a spool left in `spoolDir`. */
export async function listSpooledTasks(spoolDir: string): Promise<string[]> {
  return idsWithSuffix(await namesIn(spoolDir), [SPOOL_SUFFIX]);
}

/** Task ids with anything to deliver in `spoolDir`: a spool, or an outbox record (a final status). */
export async function listOutboxTasks(spoolDir: string): Promise<string[]> {
  return idsWithSuffix(await namesIn(spoolDir), [SPOOL_SUFFIX, ENTRY_SUFFIX]);
}

function idsWithSuffix(names: string[], suffixes: string[]): string[] {
  const ids = new Set<string>();
  for (const name of names) {
    for (const suffix of suffixes) {
      if (name.endsWith(suffix)) {
        const id = name.slice(0, -suffix.length);
        if (SAFE_TASK_ID.test(id)) ids.add(id);
      }
    }
  }
  return [...ids].sort();
}

/** Takes a spool's lock now, or returns null when a live agent holds it. */
export async function tryLockSpool(paths: SpoolPaths): Promise<FileLock | null> {
  return tryAcquireFileLock(paths.lock, SPOOL_LOCK_STALE_MS);
}

/** Waits for a spool's lock (polling), until `signal` aborts. */
export async function lockSpool(paths: SpoolPaths, opts: { signal?: AbortSignal; onWait?: (holderPid: number | null) => void }): Promise<FileLock> {
  const lock = await acquireFileLock(paths.lock, {
    staleAfterMs: SPOOL_LOCK_STALE_MS,
    pollMs: 250,
    signal: opts.signal,
    onWait: (holder) => opts.onWait?.(holder?.pid ?? null),
  });
  // Without a time-out it only returns once it has the lock.
  if (!lock) throw new Error(`the log spool lock ${paths.lock} could not be taken`);
  return lock;
}

export interface SpoolCursor {
  /** Everything before this byte offset of the spool file has been shipped. */
  offset: number;
  /** Timestamp of the last shipped event, so later events keep increasing across restarts. */
  lastTimestamp: number;
  shippedLines: number;
  /** When shipping started failing (epoch ms), 0 while it works: a later agent can still say how long lines waited. */
  delayedSince: number;
  /** `shippedLines` when it started failing: the delayed lines are those shipped after that. */
  delayedFromLines: number;
}

const NO_CURSOR: SpoolCursor = { offset: 0, lastTimestamp: 0, shippedLines: 0, delayedSince: 0, delayedFromLines: 0 };
/** The cursor is one fixed-size record rewritten in place: a single small write, never torn by a crash. */
const CURSOR_RECORD_BYTES = 256;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The "shipped up to" record of a spool. Rewriting it in place costs microseconds, where a
 * write-and-rename costs milliseconds on ext4 (it flushes data on rename), and the pump saves
 * it after every batch.
 */
export class CursorFile {
  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<CursorFile> {
    const handle = await open(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
    try {
      await handle.chmod(0o600);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new CursorFile(path, handle);
  }

  /** The saved cursor; a missing or unreadable one means "nothing shipped yet" (at worst a resend). */
  async read(log: (line: string) => void): Promise<SpoolCursor> {
    const buf = Buffer.alloc(CURSOR_RECORD_BYTES);
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, 0);
    if (bytesRead === 0) return { ...NO_CURSOR };
    try {
      const parsed = JSON.parse(buf.toString('utf8', 0, bytesRead)) as Partial<SpoolCursor>;
      if (isCount(parsed.offset) && isCount(parsed.lastTimestamp) && isCount(parsed.shippedLines)) {
        return {
          offset: parsed.offset,
          lastTimestamp: parsed.lastTimestamp,
          shippedLines: parsed.shippedLines,
          // Cursors written before outages were tracked have neither field.
          delayedSince: isCount(parsed.delayedSince) ? parsed.delayedSince : 0,
          delayedFromLines: isCount(parsed.delayedFromLines) ? parsed.delayedFromLines : 0,
        };
      }
    } catch {
      // fall through: treated like a damaged cursor
    }
    log(`log spool: ${this.path} is damaged; shipping the spool from the start (some lines may appear twice)`);
    return { ...NO_CURSOR };
  }

  async write(cursor: SpoolCursor): Promise<void> {
    const record = Buffer.from(JSON.stringify(cursor).padEnd(CURSOR_RECORD_BYTES - 1) + '\n');
    await this.handle.write(record, 0, record.length, 0);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads spool blocks at an offset into one reusable buffer. */
export class SpoolReader {
  private readonly buffer: Buffer;
  private bufferOffset = 0;

  constructor(
    private readonly handle: FileHandle,
    chunkBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(chunkBytes, 2 * MAX_BLOCK_BYTES));
  }

  /** The complete blocks between `from` and `to` that fit one read. */
  async read(from: number, to: number): Promise<{ blocks: BlockRef[]; status: ParseStatus }> {
    const want = Math.min(to - from, this.buffer.length);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(this.buffer, got, want - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.bufferOffset = from;
    const parsed = parseBlocks(this.buffer, got, from);
    // Running out of buffer in the middle of a block is not a damaged file: read on from there.
    if (parsed.status === 'incomplete' && from + got < to && parsed.blocks.length > 0) return { blocks: parsed.blocks, status: 'complete' };
    return parsed;
  }

  /** A block from the last `read`, as text. */
  payloadText(block: BlockRef): string {
    return this.buffer.toString('utf8', block.payloadOffset - this.bufferOffset, block.end - this.bufferOffset);
  }

  /**
   * Bytes a block's text takes as a JSON string (quotes included), counted on the raw bytes: far
   * cheaper than serialising it. JSON.stringify writes UTF-8 text as is and escapes only `"`,
   * `\\` and control characters (two bytes for \b \t \n \f \r, six for the rest).
   */
  payloadJsonBytes(block: BlockRef): number {
    const buf = this.buffer;
    const end = block.end - this.bufferOffset;
    let bytes = 2;
    for (let i = block.payloadOffset - this.bufferOffset; i < end; i++) {
      const b = buf[i] as number;
      if (b >= 0x20) bytes += b === 0x22 || b === 0x5c ? 2 : 1;
      else bytes += b === 0x08 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d ? 2 : 6;
    }
    return bytes;
  }

  /** Walks `from`…`to` block by block: line count and where the well-formed part ends. */
  async scan(from: number, to: number): Promise<{ lines: number; validEnd: number; status: ParseStatus }> {
    let lines = 0;
    let offset = from;
    while (offset < to) {
      const { blocks, status } = await this.read(offset, to);
      for (const block of blocks) lines += block.lines;
      const last = blocks.at(-1);
      if (last) offset = last.end;
      if (status !== 'complete' || !last) return { lines, validEnd: offset, status: status === 'complete' ? 'incomplete' : status };
    }
    return { lines, validEnd: offset, status: 'complete' };
  }
}

interface OpenBlock {
  level: LogLevel;
  timestamp: number;
  parts: Buffer[];
  bytes: number;
  lines: number;
}

export type SpoolFlushResult = { ok: true } | { ok: false; error: Error; droppedBytes: number; droppedLines: number };

/**
 * Appends output to the spool file. Lines are gathered into blocks in memory and written with
 * one `writev` per flush (the shipper flushes on the next event-loop turn, or when much has
 * piled up), so a chatty task costs few system calls. One write is in flight at a time, so
 * blocks reach the file in the order they were appended.
 */
export class SpoolWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private queuedLines = 0;
  private writingBytes = 0;
  private open: OpenBlock | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private waitingFlush: Promise<SpoolFlushResult> | null = null;
  /** Lines written to the file so far (this writer's share; the shipper adds earlier ones). */
  writtenLines = 0;

  constructor(
    private readonly handle: FileHandle,
    private offset: number,
  ) {}

  /** End of what is on disk. */
  get end(): number {
    return this.offset;
  }

  /** Bytes held in memory: waiting for the next flush, or in the write under way. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.writingBytes + (this.open?.bytes ?? 0);
  }

  /** Adds whole lines (`text` ends in `\n`). */
  append(level: LogLevel, timestamp: number, text: string): void {
    if (text.length === 0) return;
    const payload = Buffer.from(text, 'utf8');
    if (payload.length > MAX_MESSAGE_BYTES) {
      this.closeOpenBlock();
      for (const piece of splitPayload(payload)) this.queueBlock(level, timestamp, [piece.payload], piece.payload.length, piece.lines);
      return;
    }
    const open = this.open;
    if (open && (open.level !== level || open.timestamp !== timestamp || open.bytes + payload.length > MAX_MESSAGE_BYTES)) {
      this.closeOpenBlock();
    }
    const lines = countLines(text);
    if (this.open) {
      this.open.parts.push(payload);
      this.open.bytes += payload.length;
      this.open.lines += lines;
    } else {
      this.open = { level, timestamp, parts: [payload], bytes: payload.length, lines };
    }
  }

  private closeOpenBlock(): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    this.queueBlock(open.level, open.timestamp, open.parts, open.bytes, open.lines);
  }

  private queueBlock(level: LogLevel, timestamp: number, parts: Buffer[], bytes: number, lines: number): void {
    const header = encodeBlockHeader(level, timestamp, bytes, lines);
    this.queue.push(header, ...parts);
    this.queuedBytes += header.length + bytes;
    this.queuedLines += lines;
  }

  /**
   * Writes everything appended so far (after any write already under way). On an I/O error the
   * file is cut back to its last whole block and that data is dropped.
   */
  flush(): Promise<SpoolFlushResult> {
    this.closeOpenBlock();
    // A flush still waiting for the write in flight will take everything queued by then: one
    // write in flight and one waiting at most, each as large as it can be.
    if (this.waitingFlush) return this.waitingFlush;
    const run = this.tail.then(() => {
      this.waitingFlush = null;
      return this.writeQueued();
    });
    this.waitingFlush = run;
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Bytes appended but not handed to a write yet. */
  get unwrittenBytes(): number {
    return this.queuedBytes + (this.open?.bytes ?? 0);
  }

  private async writeQueued(): Promise<SpoolFlushResult> {
    if (this.queue.length === 0) return { ok: true };
    const buffers = this.queue;
    const bytes = this.queuedBytes;
    const lines = this.queuedLines;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedLines = 0;
    this.writingBytes = bytes;
    try {
      let written = 0;
      let pending = buffers;
      while (written < bytes) {
        const { bytesWritten } = await this.handle.writev(pending);
        written += bytesWritten;
        if (written < bytes) pending = [Buffer.concat(buffers).subarray(written)];
      }
      this.offset += bytes;
      this.writtenLines += lines;
      return { ok: true };
    } catch (err) {
      try {
        await this.handle.truncate(this.offset);
      } catch {
        // The next successful write would follow a torn block; the reader then stops there
        // and reports the rest as damaged rather than misreading it.
      }
      return { ok: false, error: err as Error, droppedBytes: bytes, droppedLines: lines };
    } finally {
      this.writingBytes = 0;
    }
  }
}

export interface OpenedSpoolFiles {
  paths: SpoolPaths;
  lock: FileLock;
  /** The spool, opened for positional reads and appending writes. */
  file: FileHandle;
  reader: SpoolReader;
  writer: SpoolWriter;
  cursorFile: CursorFile;
  cursor: SpoolCursor;
  /** Lines between the cursor and the end of the well-formed part, written by an earlier run. */
  pendingLines: number;
}

/**
 * Opens a task's spool under a lock already held: creates it private (0600), reads the cursor,
 * scans what is left to ship, and cuts off a block torn by a crash so appends follow a whole one.
 */
export async function openSpoolFiles(
  paths: SpoolPaths,
  lock: FileLock,
  opts: { taskId: string; readChunkBytes: number; log: (line: string) => void },
): Promise<OpenedSpoolFiles> {
  let file: FileHandle | null = null;
  let cursorFile: CursorFile | null = null;
  try {
    file = await open(paths.spool, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_APPEND, 0o600);
    // An old spool from a wider umask is tightened.
    await file.chmod(0o600);
    const reader = new SpoolReader(file, opts.readChunkBytes);
    const size = (await file.stat()).size;
    cursorFile = await CursorFile.open(paths.cursor);
    let cursor = await cursorFile.read(opts.log);
    if (cursor.offset > size) {
      opts.log(`log spool: the cursor of task ${opts.taskId} points past the end of its spool; shipping the spool from the start`);
      cursor = { ...cursor, offset: 0, shippedLines: 0, delayedFromLines: 0 };
    }
    const scan = await reader.scan(cursor.offset, size);
    if (scan.validEnd < size) {
      opts.log(
        `log spool of task ${opts.taskId}: ${size - scan.validEnd} bytes at its end are ${scan.status === 'corrupt' ? 'damaged' : 'cut off (the agent stopped mid-write)'} and are dropped`,
      );
      // A half-written block from a crash would hide everything appended after it.
      await file.truncate(scan.validEnd);
    }
    const writer = new SpoolWriter(file, scan.validEnd);
    return { paths, lock, file, reader, writer, cursorFile, cursor, pendingLines: scan.lines };
  } catch (err) {
    await file?.close().catch(() => undefined);
    await cursorFile?.close().catch(() => undefined);
    throw err instanceof LogShipperError ? err : new LogShipperError(`cannot open the log spool of task ${opts.taskId} (${paths.spool}): ${(err as Error).message}`);
  }
}

export async function closeSpoolFiles(files: OpenedSpoolFiles): Promise<void> {
  await files.file.close().catch(() => undefined);
  await files.cursorFile.close().catch(() => undefined);
}
