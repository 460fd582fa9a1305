import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  encodeBlockHeader,
  parseBlocks,
  splitPayload,
} from '../../../src-main/engine/logs/spool-format.js';

function block(level: 'DEBUG' | 'INFO', ts: number, text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([encodeBlockHeader(level, ts, payload.length, text.split('\n').length - 1), payload]);
}

describe('spool blocks', () => {
  it('round-trips headers and payload positions', () => {
    const buf = Buffer.concat([block('DEBUG', 1700000000123, 'a\nbé\n'), block('INFO', 1700000000124, 'agent\n')]);
    const { blocks, status } = parseBlocks(buf, buf.length, 1000);
    expect(status).toBe('complete');
    expect(blocks.map((b) => [b.level, b.timestamp, b.lines])).toEqual([
      ['DEBUG', 1700000000123, 2],
      ['INFO', 1700000000124, 1],
    ]);
    const first = blocks[0]!;
    expect(buf.toString('utf8', first.payloadOffset - 1000, first.end - 1000)).toBe('a\nbé\n');
    expect(blocks[1]!.end).toBe(1000 + buf.length);
  });

  it('reports a block cut off by the end of the data as incomplete', () => {
    const whole = Buffer.concat([block('DEBUG', 1, 'one\n'), block('DEBUG', 2, 'two\n')]);
    const { blocks, status } = parseBlocks(whole, whole.length - 2, 0);
    expect(blocks).toHaveLength(1);
    expect(status).toBe('incomplete');
  });

  it('reports bytes that are no block as corrupt', () => {
    const buf = Buffer.concat([block('DEBUG', 1, 'one\n'), Buffer.from('garbage\n')]);
    const { blocks, status } = parseBlocks(buf, buf.length, 0);
    expect(blocks).toHaveLength(1);
    expect(status).toBe('corrupt');
  });
});

describe('splitPayload', () => {
  it('cuts at line ends into pieces of at most 64 KiB - 1', () => {
    const line = 'x'.repeat(999) + '\n';
    const payload = Buffer.from(line.repeat(200));
    const pieces = splitPayload(payload);
    expect(pieces.every((p) => p.payload.length <= MAX_MESSAGE_BYTES && p.payload.at(-1) === 0x0a)).toBe(true);
    expect(pieces.reduce((n, p) => n + p.lines, 0)).toBe(200);
    expect(Buffer.concat(pieces.map((p) => p.payload)).equals(payload)).toBe(true);
  });

  it('splits one over-long line at UTF-8 character boundaries', () => {
    const text = 'é'.repeat(100_000) + '\n';
    const pieces = splitPayload(Buffer.from(text));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => p.payload.length <= MAX_MESSAGE_BYTES)).toBe(true);
    const decoded = pieces.map((p) => p.payload.toString('utf8'));
    expect(decoded.join('').replaceAll('\n', '')).toBe('é'.repeat(100_000));
    expect(decoded.join('')).not.toContain('\ufffd');
  });
});
