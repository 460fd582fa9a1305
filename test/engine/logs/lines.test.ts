import { describe, expect, it } from 'vitest';
import { countLines, normalizeLines, normalizePartialLine, takeCompleteLines } from '../../../src-main/engine/logs/lines.js';

describe('normalizeLines with suppressCarriageReturn (clearml-agent default)', () => {
  const norm = (text: string) => normalizeLines(text, true);

  it('keeps only the last \\r segment of a progress line', () => {
    expect(norm('  0%|          | 0/3\r 33%|###       | 1/3\r100%|##########| 3/3\n')).toBe('100%|##########| 3/3\n');
  });

  it('collapses each line on its own and leaves plain lines alone', () => {
    expect(norm('epoch 1\na\rb\rc\nepoch 2\n')).toBe('epoch 1\nc\nepoch 2\n');
  });

  it('treats \\r right before the newline as part of the line end', () => {
    expect(norm('windows line\r\n')).toBe('windows line\n');
    expect(norm('\r 10%\r 20%\r\n')).toBe(' 20%\n');
  });

  it('shows what was printed after a bar was cleared', () => {
    expect(norm('\r 50%\r     \rDone\n')).toBe('Done\n');
  });

  it('removes backspaces without interpreting them', () => {
    expect(norm('ab\x08c\n')).toBe('abc\n');
  });

  it('drops a line that is only a colour reset, but not a coloured line', () => {
    expect(norm('\x1b[0m\nkeep\n\x1b[0m\n\x1b[0m\n\x1b[31mred\x1b[0m\n')).toBe('keep\n\x1b[31mred\x1b[0m\n');
  });

  it('drops a colour-reset line that only appears after collapsing', () => {
    expect(norm('progress\r\x1b[0m\nnext\n')).toBe('next\n');
  });

  it('keeps empty lines (print())', () => {
    expect(norm('a\n\nb\n')).toBe('a\n\nb\n');
  });

  it('returns plain text untouched (fast path)', () => {
    const text = 'x'.repeat(100) + '\n';
    expect(norm(text)).toBe(text);
  });
});

describe('normalizeLines without suppressCarriageReturn', () => {
  it('turns every \\r into a line end, \\r\\n into one', () => {
    expect(normalizeLines('a\rb\r\nc\n', false)).toBe('a\nb\nc\n');
  });
});

describe('partial lines and splitting', () => {
  it('normalizes a line that has no newline yet into a whole line', () => {
    expect(normalizePartialLine(' 10%\r 20%', true)).toBe(' 20%\n');
    expect(normalizePartialLine('\x1b[0m', true)).toBe('');
  });

  it('splits a chunk into whole lines and the unfinished rest', () => {
    expect(takeCompleteLines('par', 'tial\nnext\nunfin')).toEqual({ complete: 'partial\nnext\n', rest: 'unfin' });
    expect(takeCompleteLines('par', 'tial')).toEqual({ complete: '', rest: 'partial' });
    expect(countLines('a\nb\n\n')).toBe(3);
  });
});
