import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BATCH_BYTES, MESSAGE_TIME_WINDOW_MS, buildBatch } from '../../../src-main/engine/logs/batch.js';
import type { BlockRef } from '../../../src-main/engine/logs/spool-format.js';
import { MAX_MESSAGE_BYTES } from '../../../src-main/engine/logs/spool-format.js';

/** Blocks laid out back to back (a 20-byte header each), with their texts kept aside. */
function layout(specs: { level?: 'DEBUG' | 'INFO'; ts: number; text: string }[]) {
  const texts = new Map<number, string>();
  let offset = 0;
  const blocks: BlockRef[] = specs.map((s) => {
    const bytes = Buffer.byteLength(s.text);
    const block: BlockRef = {
      offset,
      payloadOffset: offset + 20,
      end: offset + 20 + bytes,
      level: s.level ?? 'DEBUG',
      timestamp: s.ts,
      lines: s.text.split('\n').length - 1,
    };
    texts.set(block.offset, s.text);
    offset = block.end;
    return block;
  });
  const text = (b: BlockRef) => texts.get(b.offset) ?? '';
  return { blocks, text: { text, jsonBytes: (b: BlockRef) => Buffer.byteLength(JSON.stringify(text(b))) } };
}

const ctx = { taskId: 't1', workerId: 'w1', lastTimestamp: 0, maxBatchBytes: DEFAULT_MAX_BATCH_BYTES };

describe('buildBatch', () => {
  it('joins neighbouring blocks of one level into one message below 64 KiB, with ClearML\'s lower-case level names', () => {
    const { blocks, text } = layout([
      { ts: 1000, text: 'a\n' },
      { ts: 1001, text: 'b\n' },
      { level: 'INFO', ts: 1002, text: 'agent says\n' },
      { ts: 1003, text: 'c\n' },
    ]);
    const batch = buildBatch(blocks, text, ctx);
    expect(batch.events.map((e) => [e.level, e.msg])).toEqual([
      ['debug', 'a\nb\n'],
      ['info', 'agent says\n'],
      ['debug', 'c\n'],
    ]);
    expect(batch.events[0]).toMatchObject({ type: 'log', task: 't1', worker: 'w1', timestamp: 1000 });
    expect(batch.lines).toBe(4);
    expect(batch.endOffset).toBe(blocks.at(-1)!.end);
  });

  it('starts a new message when the next block would pass 64 KiB', () => {
    const big = 'y'.repeat(40_000) + '\n';
    const { blocks, text } = layout([
      { ts: 1, text: big },
      { ts: 1, text: big },
    ]);
    const batch = buildBatch(blocks, text, ctx);
    expect(batch.events).toHaveLength(2);
    expect(batch.events.every((e) => Buffer.byteLength(e.msg) <= MAX_MESSAGE_BYTES)).toBe(true);
  });

  it('keeps lines printed more than a second apart in separate events', () => {
    const { blocks, text } = layout([
      { ts: 5000, text: 'before outage\n' },
      { ts: 5000 + MESSAGE_TIME_WINDOW_MS + 1, text: 'after\n' },
    ]);
    expect(buildBatch(blocks, text, ctx).events.map((e) => e.timestamp)).toEqual([5000, 5000 + MESSAGE_TIME_WINDOW_MS + 1]);
  });

  it('gives every event a timestamp above the previous one, also across batches', () => {
    const { blocks, text } = layout([
      { ts: 700, text: 'a\n' },
      { level: 'INFO', ts: 700, text: 'b\n' },
      { ts: 700, text: 'c\n' },
    ]);
    const batch = buildBatch(blocks, text, { ...ctx, lastTimestamp: 900 });
    expect(batch.events.map((e) => e.timestamp)).toEqual([901, 902, 903]);
    expect(batch.lastTimestamp).toBe(903);
  });

  it('stops before the request body would pass the batch cap', () => {
    const specs = Array.from({ length: 40 }, (_, i) => ({ ts: i * 2000, text: 'z'.repeat(60_000) + '\n' }));
    const { blocks, text } = layout(specs);
    const batch = buildBatch(blocks, text, ctx);
    const body = batch.events.map((e) => JSON.stringify(e) + '\n').join('');
    expect(Buffer.byteLength(body)).toBe(batch.bytes);
    expect(batch.bytes).toBeLessThanOrEqual(DEFAULT_MAX_BATCH_BYTES);
    expect(batch.events.length).toBe(17);
    expect(batch.endOffset).toBe(blocks[16]!.end);
  });

  it('counts JSON escaping against the cap (control characters take six bytes)', () => {
    const specs = Array.from({ length: 10 }, (_, i) => ({ ts: i * 2000, text: '\x1b'.repeat(60_000) + '\n' }));
    const { blocks, text } = layout(specs);
    const batch = buildBatch(blocks, text, ctx);
    expect(batch.events.length).toBe(2);
    expect(batch.bytes).toBeLessThanOrEqual(DEFAULT_MAX_BATCH_BYTES);
  });
});
