import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';
import { login, type Session } from './api-call.js';
import { drainQueueConcurrently } from './concurrent-pop-scenario.js';

let server: TestServer;
let session: Session;

beforeAll(async () => {
  server = await startTestServer();
  session = await login(server);
});
afterAll(() => server.close());

describe('concurrent get_next_task', () => {
  it('50 callers draining 1,000 queued tasks: every task handed out exactly once', async () => {
    await drainQueueConcurrently(session, 'contended', 1000, 50);
  });
});
