import * as fs from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorFile, SpoolReader, SpoolWriter, spoolPaths, tryLockSpool } from '../../../src-main/engine/logs/spool.js';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function tempFile(name: string): string {
  dir ||= fs.mkdtempSync(join(tmpdir(), 'logs-spool-'));
  return join(dir, name);
}

const appendHandle = (path: string) => open(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);

describe('SpoolWriter and SpoolReader', () => {
  it('reads back what was written, block by block, with exact JSON sizes', async () => {
    const path = tempFile('t.spool');
    const handle = await appendHandle(path);
    const writer = new SpoolWriter(handle, 0);
    const texts = [
      'plain ascii\n',
      'quotes " and \\ backslash\ttab\n',
      '\x1b[31mred\x1b[0m bell\x07 nul\x00 del\x7f\n',
      'unicode é € 😀 \u2028 \ufffd\n',
    ];
    texts.forEach((text, i) => writer.append(i % 2 ? 'INFO' : 'DEBUG', 1000 + i, text));
    expect(await writer.flush()).toEqual({ ok: true });
    expect(writer.end).toBe(fs.statSync(path).size);
    expect(writer.writtenLines).toBe(4);

    const reader = new SpoolReader(handle, 1 << 20);
    const { blocks, status } = await reader.read(0, writer.end);
    expect(status).toBe('complete');
    expect(blocks.map((b) => reader.payloadText(b))).toEqual(texts);
    for (const block of blocks) {
      expect(reader.payloadJsonBytes(block)).toBe(Buffer.byteLength(JSON.stringify(reader.payloadText(block))));
    }
    expect(await reader.scan(0, writer.end)).toEqual({ lines: 4, validEnd: writer.end, status: 'complete' });
    await handle.close();
  });

  it('joins appends of the same millisecond and level into one block', async () => {
    const path = tempFile('m.spool');
    const handle = await appendHandle(path);
    const writer = new SpoolWriter(handle, 0);
    writer.append('DEBUG', 5, 'a\n');
    writer.append('DEBUG', 5, 'b\n');
    writer.append('DEBUG', 6, 'c\n');
    await writer.flush();
    const reader = new SpoolReader(handle, 1 << 20);
    expect((await reader.read(0, writer.end)).blocks.map((b) => [b.timestamp, b.lines, reader.payloadText(b)])).toEqual([
      [5, 2, 'a\nb\n'],
      [6, 1, 'c\n'],
    ]);
    await handle.close();
  });

  it('keeps appends in order when flushes overlap (one write in flight at a time)', async () => {
    const path = tempFile('o.spool');
    const handle = await appendHandle(path);
    const writer = new SpoolWriter(handle, 0);
    const flushes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      writer.append('DEBUG', i, `line ${i}\n`);
      flushes.push(writer.flush());
    }
    await Promise.all(flushes);
    const reader = new SpoolReader(handle, 1 << 20);
    const { blocks } = await reader.read(0, writer.end);
    expect(blocks.map((b) => reader.payloadText(b))).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}\n`));
    await handle.close();
  });

  it('finds where a spool cut off by a crash stops being whole', async () => {
    const path = tempFile('c.spool');
    const handle = await appendHandle(path);
    const writer = new SpoolWriter(handle, 0);
    writer.append('DEBUG', 1, 'whole\n');
    await writer.flush();
    const wholeEnd = writer.end;
    writer.append('DEBUG', 2, 'cut off\n');
    await writer.flush();
    await handle.truncate(writer.end - 3);
    expect(await new SpoolReader(handle, 1 << 20).scan(0, writer.end - 3)).toEqual({ lines: 1, validEnd: wholeEnd, status: 'incomplete' });
    await handle.close();
  });
});

describe('CursorFile', () => {
  it('saves and reads the cursor in place, 0600', async () => {
    const path = tempFile('t.cursor.json');
    const cursor = await CursorFile.open(path);
    expect(await cursor.read(() => {})).toEqual({ offset: 0, lastTimestamp: 0, shippedLines: 0, delayedSince: 0, delayedFromLines: 0 });
    await cursor.write({ offset: 123456789, lastTimestamp: 1764324000123, shippedLines: 99, delayedSince: 1764324000000, delayedFromLines: 98 });
    await cursor.write({ offset: 7, lastTimestamp: 8, shippedLines: 9, delayedSince: 0, delayedFromLines: 0 });
    await cursor.close();
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    const again = await CursorFile.open(path);
    expect(await again.read(() => {})).toEqual({ offset: 7, lastTimestamp: 8, shippedLines: 9, delayedSince: 0, delayedFromLines: 0 });
    await again.close();
  });

  it('reads a cursor written before outages were tracked', async () => {
    const path = tempFile('old.cursor.json');
    fs.writeFileSync(path, `${'{"offset":7,"lastTimestamp":8,"shippedLines":9}'.padEnd(127)}\n`, { mode: 0o600 });
    const cursor = await CursorFile.open(path);
    expect(await cursor.read(() => {})).toEqual({ offset: 7, lastTimestamp: 8, shippedLines: 9, delayedSince: 0, delayedFromLines: 0 });
    await cursor.close();
  });

  it('treats a damaged cursor as "nothing shipped" and says so', async () => {
    const path = tempFile('d.cursor.json');
    fs.writeFileSync(path, '{"offset": "garbage', { mode: 0o600 });
    const logs: string[] = [];
    const cursor = await CursorFile.open(path);
    expect(await cursor.read((l) => logs.push(l))).toEqual({ offset: 0, lastTimestamp: 0, shippedLines: 0, delayedSince: 0, delayedFromLines: 0 });
    await cursor.close();
    expect(logs.join('\n')).toMatch(/damaged; shipping the spool from the start/);
  });
});

describe('spool lock (the shared file-lock module)', () => {
  it('takes over the lock of a process that no longer exists, and refuses one a live process holds', async () => {
    const paths = spoolPaths(dir || fs.mkdtempSync(join(tmpdir(), 'logs-spool-')), 'task');
    dir ||= join(paths.lock, '..');
    fs.writeFileSync(paths.lock, JSON.stringify({ pid: 2147483646, host: (await import('node:os')).hostname(), token: 'dead', since: '' }));
    const lock = await tryLockSpool(paths);
    expect(lock).not.toBeNull();
    expect(JSON.parse(fs.readFileSync(paths.lock, 'utf8')).pid).toBe(process.pid);
    expect(await tryLockSpool(paths)).toBeNull(); // held by this live process
    await lock!.release();
    expect(fs.existsSync(paths.lock)).toBe(false);
  });
});
