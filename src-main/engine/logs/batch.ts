import type { BlockRef } from './spool-format.js';
import { MAX_MESSAGE_BYTES } from './spool-format.js';
import type { LogEvent, LogLevel, WireLogLevel } from './types.js';

/** ClearML's level names on the wire (lower case, as the SDK sends them and the server's enum has them). */
export const WIRE_LEVEL: Readonly<Record<LogLevel, WireLogLevel>> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warning', ERROR: 'error' };

/** Default request cap for `events.add_batch`, as clearml-agent (clearml-api §1.7). */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/**
 * The smallest batch cap that still fits any single message: JSON escapes a control character
 * as six bytes (`\u001b`), so a message can grow sixfold on the wire.
 */
export const MIN_MAX_BATCH_BYTES = 6 * MAX_MESSAGE_BYTES + 1024;
/**
 * Lines printed further apart than this go into separate events, so their timestamps still say
 * when they were printed even after a long outage.
 */
export const MESSAGE_TIME_WINDOW_MS = 1000;

export interface BatchContext {
  taskId: string;
  workerId: string;
  /** Timestamp of the last event already shipped for this task (0 if none). */
  lastTimestamp: number;
  maxBatchBytes: number;
}

export interface Batch {
  events: LogEvent[];
  /** Spool offset right after the last block in this batch: the cursor once it is shipped. */
  endOffset: number;
  lines: number;
  /** Size of the request body (JSON lines). */
  bytes: number;
  lastTimestamp: number;
}

/** Where blocks' contents come from (the spool reader's buffer). */
export interface BlockSource {
  /** A block's lines as text. */
  text(block: BlockRef): string;
  /** The size of that text as a JSON string, quotes included. */
  jsonBytes(block: BlockRef): number;
}

/**
 * Turns consecutive spool blocks into one `events.add_batch` request: neighbouring blocks of the
 * same level and second are joined into messages below 64 KiB, every event gets a timestamp
 * strictly above the previous one, and the JSON-lines body stays within `maxBatchBytes`.
 */
export function buildBatch(blocks: readonly BlockRef[], source: BlockSource, ctx: BatchContext): Batch {
  const events: LogEvent[] = [];
  let bytes = 0;
  let lines = 0;
  let lastTimestamp = ctx.lastTimestamp;
  let endOffset = blocks[0]?.offset ?? 0;
  let i = 0;
  while (i < blocks.length) {
    const first = blocks[i] as BlockRef;
    let last = i;
    let messageBytes = first.end - first.payloadOffset;
    while (last + 1 < blocks.length) {
      const next = blocks[last + 1] as BlockRef;
      const nextBytes = next.end - next.payloadOffset;
      if (next.level !== first.level || next.timestamp - first.timestamp > MESSAGE_TIME_WINDOW_MS) break;
      if (messageBytes + nextBytes > MAX_MESSAGE_BYTES) break;
      messageBytes += nextBytes;
      last++;
    }
    let messageLines = 0;
    // Each block's text is a JSON string of its own size minus its two quotes; the event's
    // envelope (fields, an empty msg, the line's `\n`) comes on top.
    let msgJsonBytes = 0;
    for (let k = i; k <= last; k++) {
      const block = blocks[k] as BlockRef;
      messageLines += block.lines;
      msgJsonBytes += source.jsonBytes(block) - 2;
    }
    const timestamp = Math.max(first.timestamp, lastTimestamp + 1);
    const envelope: LogEvent = { type: 'log', task: ctx.taskId, worker: ctx.workerId, level: WIRE_LEVEL[first.level], msg: '', timestamp };
    const eventBytes = Buffer.byteLength(JSON.stringify(envelope)) + msgJsonBytes + 1;
    if (events.length > 0 && bytes + eventBytes > ctx.maxBatchBytes) break;
    const parts: string[] = [];
    for (let k = i; k <= last; k++) parts.push(source.text(blocks[k] as BlockRef));
    const event: LogEvent = { ...envelope, msg: parts.length === 1 ? (parts[0] as string) : parts.join('') };
    events.push(event);
    bytes += eventBytes;
    lines += messageLines;
    lastTimestamp = timestamp;
    endOffset = (blocks[last] as BlockRef).end;
    i = last + 1;
  }
  return { events, endOffset, lines, bytes, lastTimestamp };
}
