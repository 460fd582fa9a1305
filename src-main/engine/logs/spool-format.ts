// The on-disk layout of a task's output spool: a sequence of blocks, each one header line
//   \x1e <level letter><timestamp ms> <payload bytes> <line count> \n
// followed by the payload: whole lines of (already redacted) task output, each ending in `\n`.
// A payload is at most MAX_MESSAGE_BYTES, so one block always fits into one log event and the
// "shipped up to offset N" cursor only ever points at a block boundary.

import type { LogLevel } from './types.js';

/** A log event's `msg` stays below 64 KiB (clearml-api §1.7). */
export const MAX_MESSAGE_BYTES = 64 * 1024 - 1;
/** Bytes a header can take: marker, level, 13+ digit ms, sizes, separators. */
export const MAX_HEADER_BYTES = 64;
export const MAX_BLOCK_BYTES = MAX_HEADER_BYTES + MAX_MESSAGE_BYTES;

const BLOCK_MARKER = 0x1e;
const NEWLINE = 0x0a;
const SPACE = 0x20;

const LEVEL_LETTER: Record<LogLevel, string> = { DEBUG: 'D', INFO: 'I', WARNING: 'W', ERROR: 'E' };
const LETTER_LEVEL: Record<number, LogLevel> = { 0x44: 'DEBUG', 0x49: 'INFO', 0x57: 'WARNING', 0x45: 'ERROR' };

export function encodeBlockHeader(level: LogLevel, timestamp: number, payloadBytes: number, lines: number): Buffer {
  return Buffer.from(`\x1e${LEVEL_LETTER[level]}${Math.floor(timestamp)} ${payloadBytes} ${lines}\n`, 'latin1');
}

export interface BlockRef {
  /** Absolute file offsets: where the header starts, the payload starts, and the block ends. */
  offset: number;
  payloadOffset: number;
  end: number;
  level: LogLevel;
  timestamp: number;
  lines: number;
}

export type ParseStatus = 'complete' | 'incomplete' | 'corrupt';

/** Parses one non-negative decimal integer from `buf[start, end)`; -1 if it is not one. */
function parseUint(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 16) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (buf[i] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Parses the blocks in `buf[0, length)`, which holds the file from `fileOffset` on. Stops at the
 * first block that is cut off by the end of the buffer ('incomplete': read more, or the writer
 * crashed mid-block) or does not look like a block at all ('corrupt').
 */
export function parseBlocks(buf: Buffer, length: number, fileOffset: number): { blocks: BlockRef[]; status: ParseStatus } {
  const blocks: BlockRef[] = [];
  let pos = 0;
  while (pos < length) {
    if (buf[pos] !== BLOCK_MARKER) return { blocks, status: 'corrupt' };
    const headerEnd = buf.indexOf(NEWLINE, pos);
    if (headerEnd < 0 || headerEnd >= length) {
      return { blocks, status: length - pos > MAX_HEADER_BYTES ? 'corrupt' : 'incomplete' };
    }
    const level = LETTER_LEVEL[buf[pos + 1] ?? 0];
    const firstSpace = buf.indexOf(SPACE, pos + 2);
    const secondSpace = firstSpace < 0 ? -1 : buf.indexOf(SPACE, firstSpace + 1);
    if (!level || firstSpace < 0 || secondSpace < 0 || secondSpace > headerEnd) return { blocks, status: 'corrupt' };
    const timestamp = parseUint(buf, pos + 2, firstSpace);
    const payloadBytes = parseUint(buf, firstSpace + 1, secondSpace);
    const lines = parseUint(buf, secondSpace + 1, headerEnd);
    if (timestamp < 0 || payloadBytes < 0 || payloadBytes > MAX_MESSAGE_BYTES || lines < 0) {
      return { blocks, status: 'corrupt' };
    }
    const end = headerEnd + 1 + payloadBytes;
    if (end > length) return { blocks, status: 'incomplete' };
    blocks.push({
      offset: fileOffset + pos,
      payloadOffset: fileOffset + headerEnd + 1,
      end: fileOffset + end,
      level,
      timestamp,
      lines,
    });
    pos = end;
  }
  return { blocks, status: 'complete' };
}

/** Index of the start of the UTF-8 character that contains byte `index`. */
function charBoundaryAtOrBefore(buf: Buffer, index: number): number {
  let i = index;
  while (i > 0 && ((buf[i] ?? 0) & 0xc0) === 0x80) i--;
  return i;
}

function countNewlines(buf: Buffer): number {
  let count = 0;
  for (let i = buf.indexOf(NEWLINE); i >= 0; i = buf.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

/**
 * Cuts whole lines (`payload` ends in `\n`) into payloads of at most `cap` bytes, each ending in
 * `\n`. A single line longer than that is split into several lines at UTF-8 character boundaries,
 * as a log message cannot hold it.
 */
export function splitPayload(payload: Buffer, cap = MAX_MESSAGE_BYTES): { payload: Buffer; lines: number }[] {
  const pieces: { payload: Buffer; lines: number }[] = [];
  let start = 0;
  while (start < payload.length) {
    if (payload.length - start <= cap) {
      const piece = payload.subarray(start);
      pieces.push({ payload: piece, lines: countNewlines(piece) });
      break;
    }
    const lastNewline = payload.lastIndexOf(NEWLINE, start + cap - 1);
    if (lastNewline >= start) {
      const piece = payload.subarray(start, lastNewline + 1);
      pieces.push({ payload: piece, lines: countNewlines(piece) });
      start = lastNewline + 1;
      continue;
    }
    // One line longer than the cap: take what fits (leaving room for the added `\n`).
    let cut = charBoundaryAtOrBefore(payload, start + cap - 1);
    if (cut <= start) cut = start + cap - 1;
    pieces.push({ payload: Buffer.concat([payload.subarray(start, cut), Buffer.from('\n')]), lines: 1 });
    start = cut;
  }
  return pieces;
}
