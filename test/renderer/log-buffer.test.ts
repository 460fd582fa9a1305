import { describe, expect, it } from 'vitest';
import { LogBuffer, maxLinesInPage, plainText } from '../../src-renderer/stores/log-buffer.js';
import type { LogLineView } from '../../src-shared/bridge.js';

const line = (seq: number, text = `line ${seq}`): LogLineView => ({ seq, at: 0, stream: 'stdout', level: null, text });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i));

describe('LogBuffer', () => {
  it('appends in seq order, skips repeats, and reports a gap', () => {
    const buffer = new LogBuffer();
    expect(buffer.append(range(0, 3))).toBe(3);
    expect(buffer.append(range(1, 5))).toBe(2);
    expect(buffer.nextSeq).toBe(5);
    expect(buffer.append([line(7)])).toBe(-1);
    expect(buffer.lines.map((l) => l.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('searches case-insensitively on the text without ANSI codes', () => {
    const buffer = new LogBuffer();
    buffer.append([line(0, '\u001b[31mERROR\u001b[0m boom'), line(1, 'all fine'), line(2, 'error again')]);
    expect(buffer.search('error')).toEqual([0, 2]);
    expect(buffer.search('31m')).toEqual([]);
    expect(plainText('\u001b[1;32mok\u001b[0m')).toBe('ok');
  });

  it('finds a line by its number, also after earlier lines were prepended', () => {
    const buffer = new LogBuffer();
    buffer.reset(range(100, 200), 200, true);
    expect(buffer.indexOfLine(101)).toBe(0);
    expect(buffer.indexOfLine(100)).toBeNull();
    buffer.prepend(range(50, 100), false);
    expect(buffer.indexOfLine(51)).toBe(0);
    expect(buffer.indexOfLine(200)).toBe(149);
    expect(buffer.hasOlder).toBe(false);
  });

  it('keeps at most maxLinesInPage lines, dropping the oldest and saying older ones exist', () => {
    const buffer = new LogBuffer();
    buffer.append(range(0, maxLinesInPage + 40_000));
    expect(buffer.lines.length).toBe(maxLinesInPage);
    expect(buffer.firstSeq).toBe(40_000);
    expect(buffer.dropped).toBe(40_000);
    expect(buffer.hasOlder).toBe(true);
  });
});
