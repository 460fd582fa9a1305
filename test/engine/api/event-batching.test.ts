import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, splitLongLogMessages, packJsonLines, splitUtf8, maxLogMessageBytes, maxBatchRequestBytes, type ClearmlEvent } from '../../../src-main/engine/api/index.js';
import { makeServerToken, startFaultInjectingServer, type FaultInjectingServer } from './fault-injecting-server.js';

const log = (msg: string, timestamp: number, task = 't1'): ClearmlEvent => ({ type: 'log', task, worker: 'w', level: 'DEBUG', msg, timestamp });

describe('log event splitting', () => {
  it('splits a message over 64 KiB into pieces 1 ms apart and keeps later events after them', () => {
    const big = 'x'.repeat(maxLogMessageBytes * 2 + 10);
    const events = splitLongLogMessages([log(big, 1000), log('next', 1001), log('other task', 1000, 't2')]);
    expect(events.map((e) => [e.task, e.timestamp, Buffer.byteLength(e.msg as string)])).toEqual([
      ['t1', 1000, maxLogMessageBytes],
      ['t1', 1001, maxLogMessageBytes],
      ['t1', 1002, 10],
      ['t1', 1003, 4],
      ['t2', 1000, 10],
    ]);
    expect(events.slice(0, 3).map((e) => e.msg).join('')).toBe(big);
  });

  it('never cuts inside a UTF-8 character and prefers cutting after a newline', () => {
    const text = 'é'.repeat(40); // 2 bytes each
    const pieces = splitUtf8(text, 7);
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((p) => Buffer.byteLength(p) <= 7 && !p.includes('\uFFFD'))).toBe(true);
    expect(splitUtf8('aaaa\nbbbbbbbbbb', 8)).toEqual(['aaaa\n', 'bbbbbbbb', 'bb']);
  });

  it('leaves short messages and non-log events alone', () => {
    const events = [log('short', 5), { type: 'training_stats_scalar', task: 't1', metric: 'loss', value: 1, timestamp: 6 }];
    expect(splitLongLogMessages(events)).toEqual(events);
  });

  it('packs json-lines requests of at most 1 MiB on line boundaries', () => {
    const events = Array.from({ length: 40 }, (_, i) => log('y'.repeat(60_000), i));
    const bodies = packJsonLines(events);
    expect(bodies.length).toBe(3);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(maxBatchRequestBytes);
    const lines = bodies.flatMap((b) => b.split('\n')).map((l) => JSON.parse(l) as ClearmlEvent);
    expect(lines.map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp));
  });
});

describe('events.addBatch over HTTP (fault-injecting server records the requests)', () => {
  let server: FaultInjectingServer;
  beforeEach(async () => {
    server = await startFaultInjectingServer();
    const token = await makeServerToken({ iatSec: Math.floor(Date.now() / 1000) });
    server.on('auth.login', () => ({ kind: 'ok', data: { token } }));
    server.on('events.add_batch', (req) => ({ kind: 'ok', data: { added: req.body.split('\n').length, errors: 0 } }));
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends json-lines, unversioned, split into 1 MiB requests, and sums the counts', async () => {
    const client = createApiClient({ apiServer: server.url, credentials: { accessKey: 'k', secretKey: 's' } });
    const events = [log('z'.repeat(maxLogMessageBytes * 20), 1), ...Array.from({ length: 5 }, (_, i) => log(`line ${i}`, 2 + i))];

    const result = await client.events.addBatch(events);

    const requests = server.requestsTo('events.add_batch');
    expect(requests.length).toBe(2);
    expect(result).toEqual({ added: 25, errors: 0, requests: 2 });
    for (const request of requests) {
      expect(request.path).toBe('/events.add_batch');
      expect(request.headers['content-type']).toBe('application/json-lines');
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(maxBatchRequestBytes);
    }
    const sent = requests.flatMap((r) => r.body.split('\n')).map((l) => JSON.parse(l) as ClearmlEvent);
    const timestamps = sent.map((e) => e.timestamp as number);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(new Set(timestamps).size).toBe(timestamps.length);
  });

  it('sends nothing for an empty batch', async () => {
    const client = createApiClient({ apiServer: server.url, credentials: { accessKey: 'k', secretKey: 's' } });
    expect(await client.events.addBatch([])).toEqual({ added: 0, errors: 0, requests: 0 });
    expect(server.requests).toHaveLength(0);
  });
});
