import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src-main/engine/api/index.js';
import { makeServerToken, startFaultInjectingServer, type FaultInjectingServer } from './fault-injecting-server.js';

const credentials = { accessKey: 'k', secretKey: 's' };
const entry = { entry: { task: 'c'.repeat(32), added: '2025-01-01T00:00:00+00:00' } };

describe('queues.get_next_task long-poll gating (fault-injecting server)', () => {
  let server: FaultInjectingServer;
  beforeEach(async () => {
    server = await startFaultInjectingServer();
  });
  afterEach(async () => {
    await server.close();
  });

  async function loginAs(claims: { trayAgent?: { long_poll_max_ms: number } }) {
    const token = await makeServerToken({ iatSec: Math.floor(Date.now() / 1000), apiVersion: '2.31', ...claims });
    server.on('auth.login', () => ({ kind: 'ok', data: { token } }));
  }

  it('sends wait_ms (capped to the advertised maximum) and waits longer than the request timeout', async () => {
    await loginAs({ trayAgent: { long_poll_max_ms: 400 } });
    server.on('queues.get_next_task', () => ({ kind: 'ok', data: entry, delayMs: 300 }));
    const client = createApiClient({ apiServer: server.url, credentials, requestTimeoutMs: 200, maxRetries: 0 });

    const popped = await client.queues.getNextTask({ queue: 'q'.repeat(32), waitMs: 10_000 });

    expect(popped).toEqual({ task: 'c'.repeat(32), added: '2025-01-01T00:00:00+00:00', taskInfo: null });
    const [request] = server.requestsTo('queues.get_next_task');
    expect(request?.path).toBe('/v2.14/queues.get_next_task');
    expect(JSON.parse(request!.body)).toEqual({ queue: 'q'.repeat(32), wait_ms: 400 });
  });

  it('does not send wait_ms to a server that did not advertise long-poll', async () => {
    await loginAs({});
    server.on('queues.get_next_task', () => ({ kind: 'ok', data: {} }));
    const client = createApiClient({ apiServer: server.url, credentials });

    expect(await client.queues.getNextTask({ queue: 'q1', waitMs: 5_000, getTaskInfo: true })).toBeNull();
    expect(JSON.parse(server.requestsTo('queues.get_next_task')[0]!.body)).toEqual({ queue: 'q1', get_task_info: true });
  });
});
