import { describe, it } from 'vitest';
import { useServerSession, type Session } from './api-call.js';
import { drainQueueConcurrently } from './concurrent-pop-scenario.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

describe('concurrent get_next_task', () => {
  it('20 callers draining 100 queued tasks: every task handed out exactly once', async () => {
    await drainQueueConcurrently(session, 'contended-small', 100, 20);
  });
});
