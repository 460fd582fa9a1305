import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createApiClient, ApiError, type ApiLogLevel } from '../../../src-main/engine/api/index.js';
import { makeServerToken, startFaultInjectingServer, type FaultInjectingServer } from './fault-injecting-server.js';

const credentials = { accessKey: 'key', secretKey: 'secret-value' };

describe('API client retries, timeouts and error answers (against the fault-injecting server)', () => {
  let server: FaultInjectingServer;
  let warnings: string[];
  const logger = (level: ApiLogLevel, msg: string) => {
    if (level === 'warn') warnings.push(msg);
  };
  const client = (extra: Partial<Parameters<typeof createApiClient>[0]> = {}) =>
    createApiClient({ apiServer: server.url, credentials, logger, retryBaseDelayMs: 2, retryMaxDelayMs: 20, maxRetries: 3, ...extra });

  beforeEach(async () => {
    server = await startFaultInjectingServer();
    warnings = [];
    const token = await makeServerToken({ iatSec: Math.floor(Date.now() / 1000), expSec: Math.floor(Date.now() / 1000) + 86_400 * 30 });
    server.on('auth.login', () => ({ kind: 'ok', data: { token } }));
  });
  afterEach(async () => {
    await server.close();
  });

  it.each([429, 502, 503, 509])('retries HTTP %i with backoff and logs each retry once', async (status) => {
    server.on('tasks.ping', (_req, index) => (index < 2 ? { kind: 'error', status } : { kind: 'ok', data: {} }));
    await client().tasks.ping({ task: 't' });
    expect(server.requestsTo('tasks.ping')).toHaveLength(3);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`tasks\\.ping: .*${status}.*retry 1 in`));
    expect(warnings[1]).toMatch(/retry 2 in/);
  });

  it.each([400, 403, 404, 500])('does not retry HTTP %i', async (status) => {
    server.on('tasks.ping', () => ({ kind: 'error', status, subcode: 12, message: 'nope' }));
    const error = await client().tasks.ping({ task: 't' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', httpCode: status, resultCode: status, resultSubcode: 12, endpoint: 'tasks.ping' });
    expect(server.requestsTo('tasks.ping')).toHaveLength(1);
    expect(warnings).toHaveLength(0);
  });

  it('stops after maxRetries and throws the last answer', async () => {
    server.on('tasks.ping', () => ({ kind: 'error', status: 502, message: 'bad gateway' }));
    const error = await client({ maxRetries: 2 }).tasks.ping({ task: 't' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ httpCode: 502 });
    expect(server.requestsTo('tasks.ping')).toHaveLength(3);
    expect(warnings).toHaveLength(2);
  });

  it('waits out maintenance (503) beyond maxRetries when waitOnMaintenanceForever is set', async () => {
    server.on('tasks.ping', (_req, index) => (index < 6 ? { kind: 'error', status: 503 } : { kind: 'ok', data: {} }));
    await client({ maxRetries: 1, waitOnMaintenanceForever: true }).tasks.ping({ task: 't' });
    expect(server.requestsTo('tasks.ping')).toHaveLength(7);
    expect(warnings.every((w) => w.includes('maintenance'))).toBe(true);
  });

  it('times out a request that gets no answer, retries it, then reports a timeout', async () => {
    server.on('tasks.ping', () => ({ kind: 'hang' }));
    const started = Date.now();
    const error = await client({ requestTimeoutMs: 150, maxRetries: 1 }).tasks.ping({ task: 't' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: 'timeout', httpCode: 0, endpoint: 'tasks.ping' });
    expect((error as ApiError).message).toMatch(/no answer .* after 2 attempts/);
    expect(server.requestsTo('tasks.ping')).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reports a server that is not listening as a network error naming the server', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = (await client({ apiServer: `http://127.0.0.1:${port}`, maxRetries: 1 }).login().catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.kind).toBe('network');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(warnings).toHaveLength(1);
  });

  it('turns a non-JSON error body into an error with the HTTP status', async () => {
    server.on('tasks.ping', () => ({ kind: 'raw', status: 500, body: 'Failed processing request <b>boom</b>', contentType: 'text/plain' }));
    const error = (await client().tasks.ping({ task: 't' }).catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ kind: 'http', httpCode: 500, resultCode: 500, resultSubcode: 0, endpoint: 'tasks.ping' });
    expect(error.message).toContain('Failed processing request');
  });

  it('retries a proxy HTML page on 502 and then succeeds', async () => {
    server.on('tasks.ping', (_req, index) => (index === 0 ? { kind: 'raw', status: 502, body: '<html>Bad Gateway</html>' } : { kind: 'ok', data: {} }));
    await client().tasks.ping({ task: 't' });
    expect(server.requestsTo('tasks.ping')).toHaveLength(2);
  });

  it('treats a 200 answer that is not an envelope as an error', async () => {
    server.on('tasks.ping', () => ({ kind: 'raw', status: 200, body: '<html>login page</html>' }));
    const error = (await client().tasks.ping({ task: 't' }).catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ httpCode: 200, endpoint: 'tasks.ping' });
    expect(error.message).toContain('not a ClearML response');
  });

  it('carries code, subcode, message and endpoint of an error envelope', async () => {
    server.on('tasks.get_by_id', () => ({ kind: 'error', status: 400, subcode: 101, message: 'Invalid task id: id=abc' }));
    const error = (await client().tasks.getById('abc').catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.is(400, 101)).toBe(true);
    expect(error.endpoint).toBe('tasks.get_by_id');
    expect(error.message).toContain('Invalid task id');
  });

  it('reports data of an unexpected shape naming the field', async () => {
    server.on('tasks.get_by_id', () => ({ kind: 'ok', data: { task: { id: 42 } } }));
    const error = (await client().tasks.getById('abc').catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ kind: 'response', endpoint: 'tasks.get_by_id' });
    expect(error.message).toContain('task.id');
  });

  it('stops waiting for a retry when the caller cancels', async () => {
    server.on('tasks.ping', () => ({ kind: 'error', status: 503 }));
    const controller = new AbortController();
    const pending = client({ retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000 }).call('tasks.ping', { task: 't' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'cancelled', endpoint: 'tasks.ping' });
  });
});
