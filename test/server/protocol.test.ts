import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { useServerSession, nodeRequest, rawCall, type Envelope, type Session, type JsonRecord } from './api-call.js';

let server: TestServer;
let session: Session;

useServerSession((bed) => ({ server, session } = bed));

function expectEnvelope(envelope: Envelope, status: number): void {
  expect(envelope.meta.result_code).toBe(status);
  expect(envelope.meta.id).toMatch(/^[0-9a-f]{32}$/);
  expect(typeof envelope.meta.trx).toBe('string');
  expect(typeof envelope.meta.result_msg).toBe('string');
  expect(typeof envelope.meta.result_subcode).toBe('number');
  expect(typeof envelope.meta.endpoint).toBe('object');
  expect(envelope.data).not.toBeNull();
  expect(typeof envelope.data).toBe('object');
}

describe('wire protocol', () => {
  it('answers with the full envelope, HTTP status = result_code, trx = id without a trx header', async () => {
    const result = await session.call('queues.get_default');
    expect(result.status).toBe(200);
    expectEnvelope(result.envelope, 200);
    expect(result.envelope.meta.result_msg).toBe('OK');
    expect(result.envelope.meta.error_stack).toBe('');
    expect(result.envelope.meta.trx).toBe(result.envelope.meta.id);
    expect(result.envelope.meta.endpoint).toEqual({ name: 'queues.get_default', requested_version: '2.31', actual_version: '2.4' });
  });

  it('echoes X-ClearML-Trx and the legacy X-Trains-Trx', async () => {
    const a = await session.call('queues.get_default', {}, { headers: { 'X-ClearML-Trx': 'trx-1' } });
    expect(a.envelope.meta.trx).toBe('trx-1');
    const b = await session.call('queues.get_default', {}, { headers: { 'X-Trains-Trx': 'trx-2' } });
    expect(b.envelope.meta.trx).toBe('trx-2');
  });

  it('serves versioned paths with the implementation at or below the requested version', async () => {
    const v25 = await session.call('tasks.get_all', { id: [] }, { version: '2.5' });
    expect(v25.envelope.meta.endpoint).toEqual({ name: 'tasks.get_all', requested_version: '2.5', actual_version: '2.1' });
    const v214 = await session.call('tasks.get_all', { id: [] }, { version: '2.14' });
    expect(v214.envelope.meta.endpoint.actual_version).toBe('2.14');
    // versions compare as integer pairs: 2.9 < 2.13
    const v29 = await session.call('tasks.get_all', { id: [] }, { version: '2.9' });
    expect(v29.envelope.meta.endpoint.actual_version).toBe('2.1');
    const above = await session.call('tasks.get_all', { id: [] }, { version: '2.99' });
    expect(above.status).toBe(200);
    expect(above.envelope.meta.endpoint.actual_version).toBe('2.26');
  });

  it('404s an endpoint requested below its first version, and unknown endpoints, with an envelope', async () => {
    const early = await session.call('queues.peek_task', { queue: 'x' }, { version: '2.5' });
    expect(early.status).toBe(404);
    expectEnvelope(early.envelope, 404);
    expect(early.envelope.meta.result_msg).toContain('queues.peek_task');
    const unknown = await session.call('users.get_vaults');
    expect(unknown.status).toBe(404);
    expect(unknown.envelope.meta.endpoint.name).toBe('users.get_vaults');
    expect(unknown.envelope.data).toEqual({});
  });

  it('rejects an unparsable path with 400/0 and an empty endpoint name', async () => {
    const result = await nodeRequest(server.url, { method: 'POST', path: '/not-an-endpoint', headers: { authorization: `Bearer ${session.token}` } });
    expect(result.status).toBe(400);
    const envelope = JSON.parse(result.text) as Envelope;
    expectEnvelope(envelope, 400);
    expect(envelope.meta.result_subcode).toBe(0);
    expect(envelope.meta.endpoint.name).toBe('');
    const badVersion = await nodeRequest(server.url, { method: 'POST', path: '/vX.Y/tasks.get_all' });
    expect(badVersion.status).toBe(400);
  });

  it('reads a JSON body on GET, PUT and POST alike', async () => {
    for (const method of ['GET', 'PUT', 'POST']) {
      const result = await nodeRequest(server.url, {
        method,
        path: '/v2.5/queues.get_all',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '^default$', only_fields: ['name'] }),
      });
      expect(result.status).toBe(200);
      const envelope = JSON.parse(result.text) as Envelope<{ queues: Array<{ id: string; name: string }> }>;
      expect(envelope.data.queues.map((q) => q.name)).toEqual(['default']);
    }
  });

  it('reads the body regardless of content type and treats an empty body as {}', async () => {
    const result = await nodeRequest(server.url, {
      method: 'GET',
      path: '/queues.get_default',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'text/plain' },
    });
    expect(result.status).toBe(200);
  });

  it('merges query parameters into the body with ClearML coercions', async () => {
    const queueId = (await session.ok<{ id: string }>('queues.create', { name: 'query-merge' })).id;
    // page_size=1 (digits → number), search_hidden=TRUE (→ boolean), only_fields[] (→ list)
    const result = await session.call<{ queues: Array<Record<string, unknown>> }>(
      'queues.get_all',
      {},
      { query: `name=query-merge&only_fields[]=name&only_fields[]=id&page_size=1&search_hidden=TRUE` },
    );
    expect(result.status).toBe(200);
    expect(result.envelope.data.queues).toEqual([{ id: queueId, name: 'query-merge' }]);
    // dotted keys nest, repeated keys make a list
    const tags = await session.call('queues.update', {}, { query: `queue=${queueId}&tags=a&tags=b&metadata.k.key=k&metadata.k.value=v` });
    expect(tags.status).toBe(200);
    const queue = (await session.ok<{ queue: JsonRecord }>('queues.get_by_id', { queue: queueId })).queue;
    expect(queue.tags).toEqual(['a', 'b']);
    expect(queue.metadata).toEqual({ k: { key: 'k', value: 'v' } });
    // auth.login?expiration_sec=N
    const loginResult = await rawCall<{ token: string }>(server.url, 'auth.login', undefined, { auth: session.basic, query: 'expiration_sec=120', rawBody: '' });
    const claims = JSON.parse(Buffer.from(loginResult.envelope.data.token.split('.')[1] as string, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(120);
  });

  it('answers OPTIONS with 200 and CORS headers, no auth needed', async () => {
    const result = await nodeRequest(server.url, { method: 'OPTIONS', path: '/tasks.get_all' });
    expect(result.status).toBe(200);
    expect(result.headers['access-control-allow-origin']).toBe('*');
  });

  it('refuses request compression with 415', async () => {
    const result = await nodeRequest(server.url, {
      method: 'POST',
      path: '/queues.get_default',
      headers: { authorization: `Bearer ${session.token}`, 'content-encoding': 'gzip' },
      body: 'xx',
    });
    expect(result.status).toBe(415);
    expectEnvelope(JSON.parse(result.text) as Envelope, 415);
  });

  it('refuses oversized bodies with a 413 envelope and keeps serving', async () => {
    const small = await startTestServer({ maxBodyBytes: 1024 });
    try {
      const big = await nodeRequest(small.url, { method: 'POST', path: '/debug.ping', body: 'x'.repeat(4096) });
      expect(big.status).toBe(413);
      expectEnvelope(JSON.parse(big.text) as Envelope, 413);
      const ping = await rawCall(small.url, 'debug.ping', { a: 1 });
      expect(ping.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('answers malformed JSON and non-object bodies with 400/0, and reads a null body as {}', async () => {
    for (const body of ['{"task": ', '[1,2]', '42', '"text"']) {
      const result = await session.call('tasks.get_all', undefined, { rawBody: body });
      expect(result.status, body).toBe(400);
      expect(result.envelope.meta.result_subcode, body).toBe(0);
    }
    const nullBody = await session.call('tasks.get_all', undefined, { rawBody: 'null' });
    expect(nullBody.status).toBe(200);
  });

  it('missing and mistyped fields: 400/12 naming the field, as ClearML words it', async () => {
    const missing = await session.call('tasks.get_by_id', {});
    expect([missing.status, missing.envelope.meta.result_subcode]).toEqual([400, 12]);
    expect(missing.envelope.meta.result_msg).toBe("validation error (error for field 'task'. field is required!)");
    const mistyped = await session.call('tasks.get_by_id', { task: 5 });
    expect([mistyped.status, mistyped.envelope.meta.result_subcode]).toEqual([400, 12]);
    expect(mistyped.envelope.meta.result_msg).toContain("error for field 'task'");
  });

  it('treats explicit nulls as absent (the agent sends tags:null, machine_stats:null)', async () => {
    const result = await session.call('workers.status_report', { worker: 'w-null', timestamp: Date.now(), tags: null, machine_stats: null, task: null });
    expect(result.status).toBe(200);
  });

  it('reports each answered call to onCallServed', async () => {
    const served: Array<{ endpoint: string; requestedVersion: string; status: number; durationMs: number }> = [];
    const observed = await startTestServer({ onCallServed: (call) => served.push(call) });
    try {
      await rawCall(observed.url, 'debug.ping', {}, { version: '2.9' });
      await rawCall(observed.url, 'tasks.get_all', {});
      await expect.poll(() => served.length).toBe(2);
      expect(served[0]).toMatchObject({ endpoint: 'debug.ping', requestedVersion: '2.9', status: 200 });
      expect(served[1]).toMatchObject({ endpoint: 'tasks.get_all', requestedVersion: '2.31', status: 401 });
      expect(served[0]?.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await observed.close();
    }
  });

  it('server.info and debug.ping need no credentials', async () => {
    const info = await rawCall<JsonRecord>(server.url, 'server.info');
    expect(info.status).toBe(200);
    expect(info.envelope.data).toMatchObject({ api_version: '2.31', version: '2.0.0', tray_agent: { long_poll_max_ms: 60000, multi_queue_next_task: true } });
    const ping = await rawCall<JsonRecord>(server.url, 'debug.ping', { hello: 'x' });
    expect(ping.envelope.data).toEqual({ hello: 'x', msg: 'ClearML server' });
  });
});
