// The files behind a task's log spool: the append-only output file, the "shipped up to" cursor
// and a lock that keeps two agents (say, one daemon per GPU sharing a spool folder, or a
// restarted agent resuming old spools) from shipping the same spool twice.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { countLines } from './lines.js';
import type { BlockRef, ParseStatus } from './spool-format.js';
import { MAX_BLOCK_BYTES, MAX_MESSAGE_BYTES, encodeBlockHeader, parseBlocks, splitPayload } from './spool-format.js';
import type { LogLevel } from './types.js';
import { LogShipperError } from './errors.js';

export const SPOOL_SUFFIX = '.spool';
const SAFE_TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;


export interface SpoolPaths {
  spool: string;
  cursor: string;
  lock: string;
}

export function spoolPaths(spoolDir: string, taskId: string): SpoolPaths {
  if (!SAFE_TASK_ID.test(taskId)) {
    throw new LogShipperError(
      `task id ${JSON.stringify(taskId)} cannot name a log spool file: use letters, digits, '_', '.' or '-' (a ClearML task id is 32 hex digits)`,
    );
  }
  const base = join(spoolDir, taskId);
  return { spool: `${base}${SPOOL_SUFFIX}`, cursor: `${base}.cursor.json`, lock: `${base}.lock` };
}

/** Creates the spool folder private to the agent's user (it holds task output, maybe sensitive). */
export function ensureSpoolDir(spoolDir: string): void {
  try {
    fs.mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
    const mode = fs.statSync(spoolDir).mode & 0o777;
    if (mode !== 0o700) fs.chmodSync(spoolDir, 0o700);
  } catch (err) {
    throw new LogShipperError(
      `cannot use ${spoolDir} as the log spool folder (${(err as Error).message}); point the agent at a writable folder`,
    );
  }
}

/** Task ids that have a spool left in `spoolDir` (a restarted agent ships them with resumeSpool). */
export function listSpooledTasks(spoolDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((name) => name.endsWith(SPOOL_SUFFIX))
    .map((name) => name.slice(0, -SPOOL_SUFFIX.length))
    .filter((id) => SAFE_TASK_ID.test(id))
    .sort();
}

export interface SpoolCursor {
  /** Everything before this byte offset of the spool file has been shipped. */
  offset: number;
  /** Timestamp of the last shipped event, so later events keep increasing across restarts. */
  lastTimestamp: number;
  shippedLines: number;
}

const NO_CURSOR: SpoolCursor = { offset: 0, lastTimestamp: 0, shippedLines: 0 };
/** The cursor is one fixed-size record rewritten in place: a single small write, never torn by a crash. */
const CURSOR_RECORD_BYTES = 128;

/**
 * The "shipped up to" record of a spool. Rewriting it in place costs microseconds, where a
 * write-and-rename costs milliseconds on ext4 (it flushes data on rename), and the shipper saves
 * it after every batch.
 */
export class CursorFile {
  private readonly fd: number;

  constructor(private readonly path: string) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    fs.fchmodSync(this.fd, 0o600);
  }

  /** The saved cursor; a missing or unreadable one means "nothing shipped yet" (at worst a resend). */
  read(log: (line: string) => void): SpoolCursor {
    const buf = Buffer.alloc(CURSOR_RECORD_BYTES);
    const n = fs.readSync(this.fd, buf, 0, buf.length, 0);
    if (n === 0) return { ...NO_CURSOR };
    try {
      const parsed = JSON.parse(buf.toString('utf8', 0, n)) as Partial<SpoolCursor>;
      const ok = [parsed.offset, parsed.lastTimestamp, parsed.shippedLines].every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
      if (ok) return { offset: parsed.offset!, lastTimestamp: parsed.lastTimestamp!, shippedLines: parsed.shippedLines! };
    } catch {
      // fall through: treated like a damaged cursor
    }
    log(`log spool: ${this.path} is damaged; shipping the spool from the start (some lines may appear twice)`);
    return { ...NO_CURSOR };
  }

  write(cursor: SpoolCursor): void {
    const record = Buffer.from(JSON.stringify(cursor).padEnd(CURSOR_RECORD_BYTES - 1) + '\n');
    fs.writeSync(this.fd, record, 0, record.length, 0);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the spool's lock for this process; returns the release function. */
export function acquireSpoolLock(path: string, taskId: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(path, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        fs.rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(fs.readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && processIsAlive(holder)) {
      throw new LogShipperError(
        `the log spool of task ${taskId} is in use by process ${holder}${holder === process.pid ? ' (this agent)' : ''}; ` +
          'close that shipper first, or wait for that agent to finish',
      );
    }
    // The holder died (agent crash): its lock is stale.
    fs.rmSync(path, { force: true });
  }
  throw new LogShipperError(`could not lock the log spool of task ${taskId} (${path}); another agent keeps taking it`);
}

/** Reads spool blocks at an offset into one reusable buffer. */
export class SpoolReader {
  private readonly buffer: Buffer;
  private bufferOffset = 0;
  private bufferLength = 0;

  constructor(
    private readonly fd: number,
    chunkBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(chunkBytes, 2 * MAX_BLOCK_BYTES));
  }

  /** The complete blocks between `from` and `to` that fit one read. */
  read(from: number, to: number): { blocks: BlockRef[]; status: ParseStatus } {
    const want = Math.min(to - from, this.buffer.length);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(this.fd, this.buffer, got, want - got, from + got);
      if (n === 0) break;
      got += n;
    }
    this.bufferOffset = from;
    this.bufferLength = got;
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
  scan(from: number, to: number): { lines: number; validEnd: number; status: ParseStatus } {
    let lines = 0;
    let offset = from;
    while (offset < to) {
      const { blocks, status } = this.read(offset, to);
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
 * Appends output to the spool file. Lines of one event-loop turn are gathered into blocks in
 * memory and written with one system call when `flush()` runs (the shipper calls it on the
 * next turn, or when much has piled up), so a chatty task costs few writes.
 */
export class SpoolWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private queuedLines = 0;
  private open: OpenBlock | null = null;
  /** Lines written to the file so far (this writer's share; the shipper adds earlier ones). */
  writtenLines = 0;

  constructor(
    private readonly fd: number,
    private offset: number,
  ) {}

  /** End of what is on disk. */
  get end(): number {
    return this.offset;
  }

  /** Bytes waiting in memory for the next flush. */
  get bufferedBytes(): number {
    return this.queuedBytes + (this.open?.bytes ?? 0);
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

  /** Writes everything gathered so far. On an I/O error the file is cut back to its last whole block and the data is dropped. */
  flush(): SpoolFlushResult {
    this.closeOpenBlock();
    if (this.queue.length === 0) return { ok: true };
    const buffers = this.queue;
    const bytes = this.queuedBytes;
    const lines = this.queuedLines;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedLines = 0;
    try {
      let written = 0;
      let pending = buffers;
      while (written < bytes) {
        const n = fs.writevSync(this.fd, pending);
        written += n;
        if (written < bytes) pending = [Buffer.concat(buffers).subarray(written)];
      }
      this.offset += bytes;
      this.writtenLines += lines;
      return { ok: true };
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, this.offset);
      } catch {
        // The next successful write would follow a torn block; the reader then stops there
        // and reports the rest as damaged rather than misreading it.
      }
      return { ok: false, error: err as Error, droppedBytes: bytes, droppedLines: lines };
    }
  }
}
