/**
 * How events are cut for `events.add_batch` (reference §1.7, §2.5): a log message longer than
 * 64 KiB becomes several events whose timestamps advance by 1 ms so the pieces keep their
 * order, and the json-lines body is cut into requests of at most 1 MiB on line boundaries.
 */
export interface ClearmlEvent {
  type: string;
  task: string;
  /** Epoch milliseconds; the server uses "now" when absent. */
  timestamp?: number;
  level?: string;
  msg?: string;
  worker?: string;
  [key: string]: unknown;
}

export const maxLogMessageBytes = 64 * 1024;
export const maxBatchRequestBytes = 1024 * 1024;

/**
 * Splits long log messages. Pieces of one message get timestamps t, t+1, …; a later event of
 * the same task that would now sort before the last piece is moved to just after it.
 */
export function splitLongLogMessages(events: readonly ClearmlEvent[], maxMsgBytes = maxLogMessageBytes, now: () => number = Date.now): ClearmlEvent[] {
  const result: ClearmlEvent[] = [];
  const nextFreeTimestamp = new Map<string, number>();
  for (const event of events) {
    const floor = nextFreeTimestamp.get(event.task);
    const shifted = floor !== undefined && event.timestamp !== undefined && event.timestamp < floor ? { ...event, timestamp: floor } : event;
    const pieces = shifted.type === 'log' && typeof shifted.msg === 'string' ? splitUtf8(shifted.msg, maxMsgBytes) : null;
    if (!pieces || pieces.length === 1) {
      result.push(shifted);
      if (floor !== undefined && shifted.timestamp !== undefined) nextFreeTimestamp.set(event.task, Math.max(floor, shifted.timestamp + 1));
      continue;
    }
    const base = shifted.timestamp ?? Math.max(now(), floor ?? 0);
    pieces.forEach((msg, index) => result.push({ ...shifted, msg, timestamp: base + index }));
    nextFreeTimestamp.set(event.task, base + pieces.length);
  }
  return result;
}

/**
 * Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character, and
 * preferably right after a newline when one lies in the second half of a piece.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (bytes.length - start > maxBytes) {
    let cut = start + maxBytes;
    // 0b10xxxxxx bytes continue a character; back up to the character's first byte.
    while (cut > start && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
    const newline = bytes.lastIndexOf(0x0a, cut - 1);
    if (newline >= start + maxBytes / 2) cut = newline + 1;
    pieces.push(bytes.subarray(start, cut).toString('utf8'));
    start = cut;
  }
  pieces.push(bytes.subarray(start).toString('utf8'));
  return pieces;
}

/** json-lines request bodies of at most `maxRequestBytes` each (a single larger line goes alone). */
export function packJsonLines(events: readonly ClearmlEvent[], maxRequestBytes = maxBatchRequestBytes): string[] {
  const bodies: string[] = [];
  let lines: string[] = [];
  let size = 0;
  for (const event of events) {
    const line = JSON.stringify(event);
    const lineBytes = Buffer.byteLength(line, 'utf8') + 1;
    if (lines.length > 0 && size + lineBytes > maxRequestBytes) {
      bodies.push(lines.join('\n'));
      lines = [];
      size = 0;
    }
    lines.push(line);
    size += lineBytes;
  }
  if (lines.length > 0) bodies.push(lines.join('\n'));
  return bodies;
}
