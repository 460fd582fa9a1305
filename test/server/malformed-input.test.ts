import { join } from 'node:path';
import { Db as Database } from '../../src-main/server/db/sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { createTask, login, nodeRequest, type Envelope, type Session } from './api-call.js';

let server: TestServer;
let session: Session;
let knownTask: string;
let knownQueue: string;

beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: 256 * 1024 });
  session = await login(server);
  knownTask = await createTask(session, { name: 'survivor' });
  knownQueue = (await session.ok<{ id: string }>('queues.get_default')).id;
  await session.ok('tasks.enqueue', { task: knownTask, queue: knownQueue });
  await session.ok('events.add', { type: 'log', task: knownTask, msg: 'kept' });
});
afterAll(() => server.close());

interface MalformedRequest {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

// Each endpoint with its required fields; every generated body breaks at least one of them,
// so none of these requests may change stored state.
const endpoints: Array<[string, string[]]> = [
  ['tasks.create', ['name', 'type']],
  ['tasks.get_by_id', ['task']],
  ['tasks.edit', ['task']],
  ['tasks.update', ['task']],
  ['tasks.clone', ['task']],
  ['tasks.enqueue', ['task']],
  ['tasks.dequeue', ['task']],
  ['tasks.started', ['task']],
  ['tasks.stopped', ['task']],
  ['tasks.completed', ['task']],
  ['tasks.failed', ['task']],
  ['tasks.stop', ['task']],
  ['tasks.reset', ['task']],
  ['tasks.delete', ['task']],
  ['tasks.ping', ['task']],
  ['tasks.set_requirements', ['task', 'requirements']],
  ['tasks.edit_hyper_params', ['task', 'hyperparams']],
  ['tasks.get_hyper_params', ['tasks']],
  ['queues.create', ['name']],
  ['queues.get_by_id', ['queue']],
  ['queues.update', ['queue']],
  ['queues.delete', ['queue']],
  ['queues.get_next_task', ['queue']],
  ['queues.add_task', ['queue', 'task']],
  ['queues.remove_task', ['queue', 'task']],
  ['workers.register', ['worker']],
  ['workers.status_report', ['worker', 'timestamp']],
  ['workers.set_runtime_properties', ['worker', 'runtime_properties']],
  ['events.get_task_log', ['task']],
  ['projects.create', ['name']],
];
const wrongValues: unknown[] = [12345, true, [], { nested: { deeper: [1, 2] } }, -1.5];

function generateRequests(token: string): MalformedRequest[] {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const requests: MalformedRequest[] = [];
  const valid: Record<string, unknown> = { task: knownTask, queue: knownQueue, name: 'valid name', type: 'training', worker: 'w', timestamp: 1, tasks: [knownTask], requirements: {}, hyperparams: [], runtime_properties: [] };
  for (const [endpoint, required] of endpoints) {
    const base = Object.fromEntries(required.map((field) => [field, valid[field]]));
    for (const field of required) {
      const missing = { ...base };
      delete missing[field];
      requests.push({ label: `${endpoint} without ${field}`, method: 'POST', path: `/${endpoint}`, headers: auth, body: JSON.stringify(missing) });
      for (const value of wrongValues) {
        // skip the values that are of the right type for this field
        if (field === 'requirements' && typeof value === 'object' && !Array.isArray(value)) continue;
        if (field === 'timestamp' && typeof value === 'number') continue;
        requests.push({
          label: `${endpoint} ${field}=${JSON.stringify(value)}`,
          method: 'GET',
          path: `/v2.5/${endpoint}`,
          headers: auth,
          body: JSON.stringify({ ...base, [field]: value }),
        });
      }
    }
    requests.push({
      label: `${endpoint} prototype keys`,
      method: 'POST',
      path: `/${endpoint}`,
      headers: auth,
      body: `{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}`,
    });
  }
  const rawBodies = ['{', '{"task": }', '[]', '"string"', '123', '\u0000\u0001binary', '{"a":1}{"b":2}', '['.repeat(5000) + ']'.repeat(5000), '{"task": "' + 'x'.repeat(300 * 1024) + '"}'];
  for (const body of rawBodies) {
    requests.push({ label: `raw body ${body.slice(0, 20)}`, method: 'POST', path: '/tasks.get_all', headers: auth, body });
  }
  const lines = ['{"type":"log","task":"' + knownTask + '"}\n{not json', '\n\n\n', '[1,2]\n"x"', '{"type":"log"}\n' + '{'.repeat(3)];
  for (const body of lines) {
    requests.push({ label: `json-lines ${JSON.stringify(body.slice(0, 20))}`, method: 'POST', path: '/events.add_batch', headers: { ...auth, 'content-type': 'application/json-lines' }, body });
  }
  const paths = ['/', '/v2.5/', '/tasks', '/tasks.', '/.get_all', '/v2/tasks.get_all', '/v2.x/tasks.get_all', '/a.b.c', '/tasks.get_all/extra', '/../../etc.passwd', '/%00.%00', '/tasks.does_not_exist', '/nosuch.service'];
  for (const path of paths) requests.push({ label: `path ${path}`, method: 'POST', path, headers: auth, body: '{}' });
  const authHeaders = ['Bearer', 'Bearer a.b.c', 'Basic !!!', 'Basic ' + Buffer.from(':').toString('base64'), 'Token abc', 'bearer ' + token.slice(0, -2) + 'xx'];
  for (const authorization of authHeaders) {
    requests.push({ label: `auth ${authorization.slice(0, 15)}`, method: 'POST', path: '/tasks.get_all', headers: { authorization }, body: '{}' });
  }
  requests.push({ label: 'gzip body', method: 'POST', path: '/tasks.get_all', headers: { ...auth, 'content-encoding': 'gzip' }, body: '\u001f\u008b' });
  requests.push({ label: 'query-only junk', method: 'GET', path: '/tasks.get_all?page=-1&page_size=abc&only_fields=5', headers: auth });
  requests.push({ label: 'query prototype', method: 'GET', path: '/tasks.get_by_id?__proto__.polluted=yes&constructor.prototype.polluted=yes', headers: auth });
  return requests;
}

function counts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'server.db'), { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const integrity = db.pragma('integrity_check', { simple: true });
    return { tasks: count('tasks'), queues: count('queues'), queue_entries: count('queue_entries'), events: count('events'), projects: count('projects'), integrity_ok: integrity === 'ok' ? 1 : 0 };
  } finally {
    db.close();
  }
}

describe('malformed input', () => {
  it('answers every generated bad request with a proper error envelope and keeps serving', async () => {
    const before = counts(server.dataDir);
    const requests = generateRequests(session.token);
    expect(requests.length).toBeGreaterThanOrEqual(100);
    for (const request of requests) {
      const response = await nodeRequest(server.url, request);
      expect(response.status, request.label).not.toBe(500);
      expect([400, 401, 404, 413, 415], `${request.label}: ${response.status} ${response.text.slice(0, 200)}`).toContain(response.status);
      const envelope = JSON.parse(response.text) as Envelope;
      expect(envelope.meta.result_code, request.label).toBe(response.status);
      expect(envelope.meta.id, request.label).toMatch(/^[0-9a-f]{32}$/);
      expect(envelope.data, request.label).toEqual({});
      expect(envelope.meta.result_msg.length, request.label).toBeGreaterThan(0);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(counts(server.dataDir)).toEqual(before);
    expect(before.integrity_ok).toBe(1);

    // and it still works
    const fresh = await createTask(session, { name: 'after the storm' });
    await session.ok('tasks.enqueue', { task: fresh, queue: knownQueue });
    const popped = await session.ok<{ entry: { task: string } }>('queues.get_next_task', { queue: knownQueue });
    expect(popped.entry.task).toBe(knownTask);
    const log = await session.ok<{ events: Array<{ msg: string }> }>('events.get_task_log', { task: knownTask });
    expect(log.events.map((event) => event.msg)).toEqual(['kept']);
  });
});
