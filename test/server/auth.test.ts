import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { basicAuth, login, rawCall, type JsonRecord } from './api-call.js';

let clock = Date.parse('2025-03-01T12:00:00Z');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
});
afterAll(() => server.close());

function claimsOf(token: string): JsonRecord {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
}

describe('credentials and tokens', () => {
  it('creates a ClearML-looking key pair on the first start', () => {
    expect(server.credentials.accessKey).toMatch(/^[A-Z0-9]{20,}$/);
    expect(server.credentials.secretKey.length).toBeGreaterThanOrEqual(50);
  });

  it('keeps the data dir and the token secret owner-only', () => {
    expect(statSync(server.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(server.dataDir, 'token-secret')).mode & 0o777).toBe(0o600);
  });

  it('logs in with Basic and issues a JWT with the ClearML claims and ours', async () => {
    const result = await rawCall<{ token: string }>(server.url, 'auth.login', {}, { auth: basicAuth(server.credentials.accessKey, server.credentials.secretKey) });
    expect(result.status).toBe(200);
    const claims = claimsOf(result.envelope.data.token);
    expect(claims).toMatchObject({
      auth_type: 'Bearer',
      api_version: '2.31',
      server_version: '2.0.0',
      feature_set: 'basic',
      tray_agent: { long_poll_max_ms: 60000, multi_queue_next_task: true },
    });
    expect(Object.keys(claims.identity).sort()).toEqual(['company', 'company_name', 'role', 'user', 'user_name']);
    expect(claims.identity.role).toBe('admin');
    expect(claims.iat).toBe(Math.floor(clock / 1000));
    expect(claims.exp - claims.iat).toBe(30 * 24 * 3600);
    expect(claims.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof claims.server_build).toBe('string');
    expect(typeof claims.env).toBe('string');
    expect(result.headers.get('set-cookie')).toContain('clearml_token_basic=');
  });

  it('honours expiration_sec and refuses one beyond a year', async () => {
    const basic = basicAuth(server.credentials.accessKey, server.credentials.secretKey);
    const short = await rawCall<{ token: string }>(server.url, 'auth.login', { expiration_sec: 60 }, { auth: basic });
    expect(claimsOf(short.envelope.data.token).exp - claimsOf(short.envelope.data.token).iat).toBe(60);
    const tooLong = await rawCall(server.url, 'auth.login', { expiration_sec: 400 * 24 * 3600 }, { auth: basic });
    expect([tooLong.status, tooLong.envelope.meta.result_subcode]).toEqual([400, 12]);
  });

  it('refreshes a token by logging in with Bearer', async () => {
    const session = await login(server);
    clock += 1000;
    const refreshed = await rawCall<{ token: string }>(server.url, 'auth.login', {}, { auth: `Bearer ${session.token}` });
    expect(refreshed.status).toBe(200);
    expect(refreshed.envelope.data.token).not.toBe(session.token);
    expect(claimsOf(refreshed.envelope.data.token).identity).toEqual(claimsOf(session.token).identity);
  });

  it('accepts Basic on every authorized endpoint', async () => {
    const result = await rawCall(server.url, 'queues.get_default', {}, { auth: basicAuth(server.credentials.accessKey, server.credentials.secretKey) });
    expect(result.status).toBe(200);
  });

  it('answers each auth problem with its 401 subcode', async () => {
    const cases: Array<[string | null, number]> = [
      [null, 20],
      ['Digest abc', 10],
      ['Basic', 21],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, 21],
      [basicAuth(server.credentials.accessKey, 'wrong-secret'), 22],
      [basicAuth('NOSUCHKEY', server.credentials.secretKey), 22],
      ['Bearer not.a.jwt', 30],
      ['Bearer ', 30],
    ];
    for (const [auth, subcode] of cases) {
      const result = await rawCall(server.url, 'tasks.get_all', {}, { auth });
      expect([result.status, result.envelope.meta.result_subcode], String(auth)).toEqual([401, subcode]);
      expect(result.envelope.data).toEqual({});
    }
  });

  it('rejects a token signed with another key', async () => {
    const other = await startTestServer();
    try {
      const foreign = await login(other);
      const result = await rawCall(server.url, 'tasks.get_all', {}, { auth: `Bearer ${foreign.token}` });
      expect([result.status, result.envelope.meta.result_subcode]).toEqual([401, 30]);
    } finally {
      await other.close();
    }
  });

  it('expires tokens by the server clock (cached or not)', async () => {
    const basic = basicAuth(server.credentials.accessKey, server.credentials.secretKey);
    const result = await rawCall<{ token: string }>(server.url, 'auth.login', { expiration_sec: 100 }, { auth: basic });
    const auth = `Bearer ${result.envelope.data.token}`;
    expect((await rawCall(server.url, 'tasks.get_all', {}, { auth })).status).toBe(200);
    clock += 101_000;
    const expired = await rawCall(server.url, 'tasks.get_all', {}, { auth });
    expect([expired.status, expired.envelope.meta.result_subcode]).toEqual([401, 30]);
  });

  it('auth.logout blocks the token (401/31) while new logins work', async () => {
    const session = await login(server);
    expect((await session.call('auth.logout')).status).toBe(200);
    const blocked = await session.call('tasks.get_all');
    expect([blocked.status, blocked.envelope.meta.result_subcode]).toEqual([401, 31]);
    const fresh = await login(server);
    expect((await fresh.call('tasks.get_all')).status).toBe(200);
  });

  it('createCredentials adds a working key pair', async () => {
    const extra = server.server.createCredentials();
    expect(extra.accessKey).not.toBe(server.credentials.accessKey);
    const session = await login({ url: server.url, credentials: extra });
    expect((await session.call('users.get_current_user')).envelope.data.user.role).toBe('admin');
  });
});
