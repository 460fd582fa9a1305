import { describe, it } from 'vitest';
import { useServerSession, type Session } from './api-call.js';
import { drainQueueConcurrently } from './concurrent-pop-scenario.js';

let session: Session;

useServerSession((bed) => ({ session } = bed));

describe('concurrent get_next_task', () => {
  it('50 callers draining 1,000 queued tasks: every task handed out exactly once', async () => {
    await drainQueueConcurrently(session, 'contended', 1000, 50);
  });
});
