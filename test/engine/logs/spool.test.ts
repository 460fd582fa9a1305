import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorFile, SpoolReader, SpoolWriter, acquireSpoolLock } from '../../../src-main/engine/logs/spool.js';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function tempFile(name: string): string {
  dir ||= fs.mkdtempSync(join(tmpdir(), 'logs-spool-'));
  return join(dir, name);
}

describe('SpoolWriter and SpoolReader', () => {
  it('reads back what was written, block by block, with exact JSON sizes', () => {
    const path = tempFile('t.spool');
    const fd = fs.openSync(path, 'a', 0o600);
    const writer = new SpoolWriter(fd, 0);
    const texts = [
      'plain ascii\n',
      'quotes " and \\ backslash\ttab\n',
      '\x1b[31mred\x1b[0m bell\x07 nul\x00 del\x7f\n',
      'unicode é € 😀 \u2028 \ufffd\n',
    ];
    texts.forEach((text, i) => writer.append(i % 2 ? 'INFO' : 'DEBUG', 1000 + i, text));
    expect(writer.flush()).toEqual({ ok: true });
    fs.closeSync(fd);
    expect(writer.end).toBe(fs.statSync(path).size);
    expect(writer.writtenLines).toBe(4);

    const readFd = fs.openSync(path, 'r');
    const reader = new SpoolReader(readFd, 1 << 20);
    const { blocks, status } = reader.read(0, writer.end);
    expect(status).toBe('complete');
    expect(blocks.map((b) => reader.payloadText(b))).toEqual(texts);
    for (const block of blocks) {
      expect(reader.payloadJsonBytes(block)).toBe(Buffer.byteLength(JSON.stringify(reader.payloadText(block))));
    }
    expect(reader.scan(0, writer.end)).toEqual({ lines: 4, validEnd: writer.end, status: 'complete' });
    fs.closeSync(readFd);
  });

  it('joins appends of the same millisecond and level into one block', () => {
    const path = tempFile('m.spool');
    const fd = fs.openSync(path, 'a', 0o600);
    const writer = new SpoolWriter(fd, 0);
    writer.append('DEBUG', 5, 'a\n');
    writer.append('DEBUG', 5, 'b\n');
    writer.append('DEBUG', 6, 'c\n');
    writer.flush();
    fs.closeSync(fd);
    const readFd = fs.openSync(path, 'r');
    const reader = new SpoolReader(readFd, 1 << 20);
    expect(reader.read(0, writer.end).blocks.map((b) => [b.timestamp, b.lines, reader.payloadText(b)])).toEqual([
      [5, 2, 'a\nb\n'],
      [6, 1, 'c\n'],
    ]);
    fs.closeSync(readFd);
  });

  it('finds where a spool cut off by a crash stops being whole', () => {
    const path = tempFile('c.spool');
    const fd = fs.openSync(path, 'a', 0o600);
    const writer = new SpoolWriter(fd, 0);
    writer.append('DEBUG', 1, 'whole\n');
    writer.flush();
    const wholeEnd = writer.end;
    writer.append('DEBUG', 2, 'cut off\n');
    writer.flush();
    fs.closeSync(fd);
    fs.truncateSync(path, writer.end - 3);
    const readFd = fs.openSync(path, 'r');
    expect(new SpoolReader(readFd, 1 << 20).scan(0, writer.end - 3)).toEqual({ lines: 1, validEnd: wholeEnd, status: 'incomplete' });
    fs.closeSync(readFd);
  });
});

describe('CursorFile', () => {
  it('saves and reads the cursor in place, 0600', () => {
    const path = tempFile('t.cursor.json');
    const cursor = new CursorFile(path);
    expect(cursor.read(() => {})).toEqual({ offset: 0, lastTimestamp: 0, shippedLines: 0 });
    cursor.write({ offset: 123456789, lastTimestamp: 1764324000123, shippedLines: 99 });
    cursor.write({ offset: 7, lastTimestamp: 8, shippedLines: 9 });
    cursor.close();
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    const again = new CursorFile(path);
    expect(again.read(() => {})).toEqual({ offset: 7, lastTimestamp: 8, shippedLines: 9 });
    again.close();
  });

  it('treats a damaged cursor as "nothing shipped" and says so', () => {
    const path = tempFile('d.cursor.json');
    fs.writeFileSync(path, '{"offset": "garbage', { mode: 0o600 });
    const logs: string[] = [];
    const cursor = new CursorFile(path);
    expect(cursor.read((l) => logs.push(l))).toEqual({ offset: 0, lastTimestamp: 0, shippedLines: 0 });
    cursor.close();
    expect(logs.join('\n')).toMatch(/damaged; shipping the spool from the start/);
  });
});

describe('acquireSpoolLock', () => {
  it('takes over the lock of a process that no longer exists', () => {
    const path = tempFile('t.lock');
    fs.writeFileSync(path, '2147483646\n');
    const release = acquireSpoolLock(path, 'task');
    expect(fs.readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(fs.existsSync(path)).toBe(false);
  });
});
