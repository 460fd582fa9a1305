import type { TokenService } from './auth/tokens.js';
import type { Db } from './db/open-database.js';
import type { QueueWaiters } from './queue-waiters.js';
import type { AuthStore } from './store/auth-store.js';
import type { EventStore } from './store/event-store.js';
import type { ModelStore } from './store/model-store.js';
import type { ProjectStore } from './store/project-store.js';
import type { QueueStore } from './store/queue-store.js';
import type { TaskStore } from './store/task-store.js';
import type { WorkerStore } from './store/worker-store.js';

export interface ServerSettings {
  /** Default worker registration TTL (ClearML: 600 s). */
  workerTimeoutSec: number;
  /** How recent a task's last_update must be for tasks.stop to defer to its worker (600 s). */
  taskUpdateTimeoutSec: number;
  /** In-progress tasks silent for longer are force-stopped by the watchdog (7200 s). */
  nonResponsiveTaskTimeoutSec: number;
  /** Upper bound of a `queues.get_next_task` long-poll wait. */
  longPollMaxMs: number;
  /** `server_build` claim and server.info build. */
  serverBuild: string;
}

/** Everything a service module needs: storage, clock, settings, token issuer, waiters. */
export interface ServerContext {
  db: Db;
  authStore: AuthStore;
  tasks: TaskStore;
  queues: QueueStore;
  events: EventStore;
  models: ModelStore;
  workers: WorkerStore;
  projects: ProjectStore;
  tokens: TokenService;
  waiters: QueueWaiters;
  settings: ServerSettings;
  /** ms clock (injectable for tests) */
  now: () => number;
  log: (line: string) => void;
}
