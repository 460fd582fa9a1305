import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, ApiError, type ApiLogLevel } from '../../../src-main/engine/api/index.js';
import { basicPair, makeServerToken, startFaultInjectingServer, type FaultInjectingServer } from './fault-injecting-server.js';

const credentials = { accessKey: 'ACCESSKEY123', secretKey: 'SECRET-never-logged-987' };
const day = 86_400;

describe('API client authentication (against the fault-injecting server)', () => {
  let server: FaultInjectingServer;
  let logs: string[];
  const logger = (level: ApiLogLevel, msg: string) => logs.push(`${level}: ${msg}`);

  beforeEach(async () => {
    server = await startFaultInjectingServer();
    logs = [];
  });
  afterEach(async () => {
    await server.close();
  });

  it('logs in with Basic, then calls with Bearer, and decodes the capabilities from the token', async () => {
    const token = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day, apiVersion: '2.31', trayAgent: { long_poll_max_ms: 20_000 } });
    server.on('auth.login', () => ({ kind: 'ok', data: { token } }));
    server.on('tasks.ping', () => ({ kind: 'ok', data: {} }));
    const client = createApiClient({ apiServer: `${server.url}/`, credentials, workerName: 'box-1', logger, now: () => 2_000_000 });

    await client.tasks.ping({ task: 'a'.repeat(32) });

    const [login, ping] = server.requests;
    expect(login?.path).toBe('/auth.login');
    expect(basicPair(login!.headers)).toBe('ACCESSKEY123:SECRET-never-logged-987');
    expect(ping?.path).toBe('/v2.5/tasks.ping');
    expect(ping?.method).toBe('POST');
    expect(ping?.headers.authorization).toBe(`Bearer ${token}`);
    expect(ping?.headers['x-clearml-worker']).toBe('box-1');
    expect(ping?.headers['x-clearml-agent']).toMatch(/^tray-agent-\d+\.\d+\.\d+/);
    expect(ping?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(ping!.body)).toEqual({ task: 'a'.repeat(32) });
    expect(client.capabilities()).toEqual({ apiVersion: '2.31', serverVersion: '2.0.0', featureSet: 'basic', longPollMaxMs: 20_000, trayAgentExtensions: true, multiQueueNextTask: false });
  });

  it('refreshes the token with a Bearer login when less than the threshold is left', async () => {
    const nowSec = 100 * day;
    const oldToken = await makeServerToken({ iatSec: nowSec - 30 * day, expSec: nowSec + 3_600, apiVersion: '2.31', serial: 1 });
    const newToken = await makeServerToken({ iatSec: nowSec, expSec: nowSec + 30 * day, apiVersion: '2.31', serial: 2 });
    server.on('auth.login', (_req, index) => ({ kind: 'ok', data: { token: index === 0 ? oldToken : newToken } }));
    server.on('tasks.ping', () => ({ kind: 'ok', data: {} }));
    const client = createApiClient({ apiServer: server.url, credentials, logger, now: () => nowSec * 1000 });

    await client.tasks.ping({ task: 't1' }); // login → token with 1 h left (< 12 h threshold)
    await client.tasks.ping({ task: 't1' }); // refresh first
    await client.tasks.ping({ task: 't1' }); // fresh token: no more logins

    const logins = server.requestsTo('auth.login');
    expect(logins).toHaveLength(2);
    expect(logins[1]?.headers.authorization).toBe(`Bearer ${oldToken}`);
    const pings = server.requestsTo('tasks.ping');
    expect(pings.map((p) => p.headers.authorization)).toEqual([`Bearer ${oldToken}`, `Bearer ${newToken}`, `Bearer ${newToken}`]);
  });

  it('does not log in before every call when the server issues tokens shorter than the threshold', async () => {
    const nowSec = 100 * day;
    const shortToken = await makeServerToken({ iatSec: nowSec, expSec: nowSec + 600, apiVersion: '2.31' });
    server.on('auth.login', () => ({ kind: 'ok', data: { token: shortToken } }));
    server.on('tasks.ping', () => ({ kind: 'ok', data: {} }));
    let now = nowSec * 1000;
    const client = createApiClient({ apiServer: server.url, credentials, logger, now: () => now });
    await client.tasks.ping({ task: 't1' });
    await client.tasks.ping({ task: 't1' });
    expect(server.requestsTo('auth.login')).toHaveLength(1);
    now += 400_000; // past half of the 600 s lifetime
    await client.tasks.ping({ task: 't1' });
    expect(server.requestsTo('auth.login')).toHaveLength(2);
  });

  it('logs in again exactly once after a 401 and retries the call', async () => {
    const token1 = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day, serial: 1 });
    const token2 = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day, serial: 2 });
    server.on('auth.login', (_req, index) => ({ kind: 'ok', data: { token: index === 0 ? token1 : token2 } }));
    server.on('tasks.get_by_id', (_req, index) =>
      index === 0 ? { kind: 'error', status: 401, subcode: 30, message: 'Invalid token' } : { kind: 'ok', data: { task: { id: 'b'.repeat(32), name: 'train', status: 'created' } } },
    );
    const client = createApiClient({ apiServer: server.url, credentials, logger, now: () => 2_000_000 });

    const task = await client.tasks.getById('b'.repeat(32));

    expect(task.name).toBe('train');
    expect(server.requestsTo('auth.login')).toHaveLength(2);
    expect(basicPair(server.requestsTo('auth.login')[1]!.headers)).toBe('ACCESSKEY123:SECRET-never-logged-987');
    expect(server.requestsTo('tasks.get_by_id').map((r) => r.headers.authorization)).toEqual([`Bearer ${token1}`, `Bearer ${token2}`]);
  });

  it('shares one login between calls made at the same time, also after a 401', async () => {
    const token1 = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day, serial: 1 });
    const token2 = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day, serial: 2 });
    server.on('auth.login', (_req, index) => ({ kind: 'ok', data: { token: index === 0 ? token1 : token2 }, delayMs: 50 }));
    server.on('tasks.ping', (req) => (req.headers.authorization === `Bearer ${token1}` ? { kind: 'error', status: 401, subcode: 30 } : { kind: 'ok', data: {} }));
    const client = createApiClient({ apiServer: server.url, credentials, logger, now: () => 2_000_000 });

    await Promise.all(Array.from({ length: 5 }, () => client.tasks.ping({ task: 't' })));

    expect(server.requestsTo('auth.login')).toHaveLength(2);
    expect(server.requestsTo('tasks.ping').filter((r) => r.headers.authorization === `Bearer ${token2}`)).toHaveLength(5);
  });

  it('gives up with the 401 when the call is refused again after the re-login', async () => {
    const token = await makeServerToken({ iatSec: 1_000, expSec: 1_000 + 30 * day });
    server.on('auth.login', () => ({ kind: 'ok', data: { token } }));
    server.on('tasks.ping', () => ({ kind: 'error', status: 401, subcode: 31, message: 'Blocked token' }));
    const client = createApiClient({ apiServer: server.url, credentials, logger, now: () => 2_000_000 });

    const error = await client.tasks.ping({ task: 't' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ httpCode: 401, resultCode: 401, resultSubcode: 31, endpoint: 'tasks.ping' });
    expect(server.requestsTo('auth.login')).toHaveLength(2);
    expect(server.requestsTo('tasks.ping')).toHaveLength(2);
  });

  it('reports refused credentials naming what to check, without the secret', async () => {
    server.on('auth.login', () => ({ kind: 'error', status: 401, subcode: 21, message: 'Invalid credentials' }));
    const client = createApiClient({ apiServer: server.url, credentials, logger });

    const error = (await client.login().catch((e: unknown) => e)) as ApiError;

    expect(error).toBeInstanceOf(ApiError);
    expect(error.resultCode).toBe(401);
    expect(error.resultSubcode).toBe(21);
    expect(error.message).toContain('api.credentials');
    expect(error.message).not.toContain(credentials.secretKey);
    expect(server.requestsTo('auth.login')).toHaveLength(1);
  });

  it('explains what to configure when there are neither credentials nor a token', async () => {
    const client = createApiClient({ apiServer: server.url, logger });
    const error = (await client.tasks.ping({ task: 't' }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(/access_key.*CLEARML_AUTH_TOKEN/s);
    expect(server.requests).toHaveLength(0);
  });

  it('starts from an auth token: no login first, capabilities at once, refresh at 3600 s by Bearer', async () => {
    const nowSec = 100 * day;
    const given = await makeServerToken({ iatSec: nowSec - day, expSec: nowSec + 7_200, apiVersion: '2.13', serial: 1 });
    const refreshed = await makeServerToken({ iatSec: nowSec, expSec: nowSec + 30 * day, apiVersion: '2.13', serial: 2 });
    server.on('auth.login', () => ({ kind: 'ok', data: { token: refreshed } }));
    server.on('tasks.ping', () => ({ kind: 'ok', data: {} }));
    let now = nowSec * 1000;
    const client = createApiClient({ apiServer: server.url, authToken: given, logger, now: () => now });

    expect(client.capabilities().apiVersion).toBe('2.13');
    await client.tasks.ping({ task: 't' }); // 2 h left > 1 h threshold: no refresh
    expect(server.requestsTo('auth.login')).toHaveLength(0);
    now += 3_700_000; // < 1 h left
    await client.tasks.ping({ task: 't' });
    const logins = server.requestsTo('auth.login');
    expect(logins).toHaveLength(1);
    expect(logins[0]?.headers.authorization).toBe(`Bearer ${given}`);
    expect(client.currentToken()).toBe(refreshed);
  });

  it('rejects an api_server that is not an http(s) URL with the key to fix', () => {
    expect(() => createApiClient({ apiServer: 'localhost:8008', credentials })).toThrow(/api\.api_server/);
    expect(() => createApiClient({ apiServer: 'ftp://x', credentials })).toThrow(/http:\/\/ or https:\/\//);
  });

  it('never writes the secret or the token to the log, also while retrying and refreshing', async () => {
    const nowSec = 100 * day;
    const token = await makeServerToken({ iatSec: nowSec - 30 * day, expSec: nowSec + 100, serial: 1 });
    server.on('auth.login', (_req, index) => (index === 1 ? { kind: 'error', status: 503, message: 'maintenance' } : { kind: 'ok', data: { token } }));
    server.on('tasks.ping', (_req, index) => (index === 0 ? { kind: 'error', status: 502 } : { kind: 'ok', data: {} }));
    const client = createApiClient({ apiServer: server.url, credentials, logger, retryBaseDelayMs: 1, now: () => nowSec * 1000 });
    await client.tasks.ping({ task: 't' });
    await client.tasks.ping({ task: 't' });
    expect(logs.length).toBeGreaterThan(0);
    const all = logs.join('\n');
    expect(all).not.toContain(credentials.secretKey);
    expect(all).not.toContain(token);
    expect(all).not.toContain(Buffer.from(`${credentials.accessKey}:${credentials.secretKey}`).toString('base64'));
  });
});
