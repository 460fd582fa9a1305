import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { productVersion } from '../../src-shared/product.js';
import { authenticate } from './auth/authenticate.js';
import { loadOrCreateTokenSecret } from './auth/token-secret.js';
import { TokenService } from './auth/tokens.js';
import {
  createCredentialsFor,
  createDefaultQueue,
  ensureAdminUser,
  ensureServerUid,
  type ApiCredentials,
} from './bootstrap.js';
import type { ServerContext, ServerSettings } from './context.js';
import { DATABASE_FILE, openDatabase } from './db/open-database.js';
import { startWalCheckpointer } from './db/wal-checkpointer.js';
import { createApiRequestHandler, type ServedCall } from './http/api-request-handler.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/request-body.js';
import { parseRequestPath } from './http/request-path.js';
import { FileStore } from './files/file-store.js';
import { createFilesRequestHandler } from './files/files-request-handler.js';
import { createTaskPageHandler, isTaskPageRequest } from './web/task-page.js';
import { identityOf, AuthStore } from './store/auth-store.js';
import { EventStore } from './store/event-store.js';
import { ModelStore } from './store/model-store.js';
import { ProjectStore } from './store/project-store.js';
import { QueueStore } from './store/queue-store.js';
import { TaskStore } from './store/task-store.js';
import { WorkerStore } from './store/worker-store.js';
import { QueueOperations } from './queues/queue-operations.js';
import { QueueWaiters } from './queue-waiters.js';
import { ModelOperations } from './models/model-operations.js';
import { TaskOperations } from './tasks/task-operations.js';
import { authEndpoints } from './services/auth-service.js';
import { eventsEndpoints } from './services/events-service.js';
import { eventsReadbackEndpoints } from './services/events-readback-service.js';
import { miscEndpoints } from './services/misc-service.js';
import { modelsEndpoints } from './services/models-service.js';
import { projectsEndpoints } from './services/projects-service.js';
import { queuesEndpoints } from './services/queues-service.js';
import { taskParamsEndpoints } from './services/task-params-service.js';
import { taskOutputsEndpoints } from './services/task-outputs-service.js';
import { taskStatusEndpoints } from './services/task-status-service.js';
import { tasksEndpoints } from './services/tasks-service.js';
import { workersEndpoints } from './services/workers-service.js';
import { runMaintenancePass, startWatchdog } from './watchdog.js';

export type { ApiCredentials } from './bootstrap.js';
export type { ServedCall } from './http/api-request-handler.js';
export { MAX_API_VERSION, CLEARML_SERVER_VERSION } from './api-version.js';

import { DEFAULT_FILES_PORT, DEFAULT_LONG_POLL_MAX_MS, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT } from './defaults.js';
export { DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT, DEFAULT_FILES_PORT, DEFAULT_LONG_POLL_MAX_MS, DEFAULT_MAX_UPLOAD_BYTES } from './defaults.js';

export interface EmbeddedServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 8008; 0 picks a free port */
  port?: number;
  /** the files server's port: default 8081, or a free one when `port` is 0 */
  filesPort?: number;
  /** where uploaded files live (default `<dataDir>/files`) */
  filesDir?: string;
  /** largest upload the files server takes (1 GiB); larger ones get a 413 */
  maxUploadBytes?: number;
  dataDir: string;
  log?: (line: string) => void;
  /** ms clock, for tests */
  now?: () => number;
  /** default worker registration TTL (600 s) */
  workerTimeoutSec?: number;
  /** how fresh last_update must be for tasks.stop to defer to the worker (600 s) */
  taskUpdateTimeoutSec?: number;
  /** in_progress tasks without an update for this long are force-stopped (7200 s) */
  nonResponsiveTaskTimeoutSec?: number;
  /** how often the watchdog runs (60 000 ms) */
  watchdogIntervalMs?: number;
  /** cap of a get_next_task long-poll (60 000 ms) */
  longPollMaxMs?: number;
  /** request body limit (16 MiB) */
  maxBodyBytes?: number;
  /** called after each answered call: endpoint, requested version, HTTP status, duration */
  onCallServed?: (call: ServedCall) => void;
}

export interface EmbeddedServer {
  /** http://HOST:PORT (the API) */
  url: string;
  port: number;
  /** the files server, ClearML's `files_server` (artifacts, models, debug images) */
  filesUrl: string;
  filesPort: number;
  /** ClearML's `web_server`: where the SDK's results links (task pages) open */
  webUrl: string;
  /** whether the files server and task pages ask for API credentials (listening beyond loopback) */
  filesNeedCredentials: boolean;
  /** Only on the first start of a data dir: the key pair made then (the secret is not kept). */
  createdCredentials: ApiCredentials | null;
  /** Makes another key pair for the data dir's user. */
  createCredentials(): ApiCredentials;
  /** One watchdog pass now (lost workers' tasks, stale in_progress tasks, expired workers); returns the task ids it failed or stopped. */
  runMaintenance(): string[];
  close(): Promise<void>;
}

/** Uploaded files live in this folder of the data dir unless `filesDir` says otherwise. */
export const FILES_FOLDER = 'files';

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // The folder holds the token secret and the database: owner only, even if it pre-existed.
    chmodSync(dataDir, 0o700);
  } catch (error) {
    throw new Error(`cannot use ${dataDir} as the server's data dir (${(error as Error).message}); give a folder you own`, {
      cause: error,
    });
  }
}

/** Loopback addresses: only this machine reaches them, so files and task pages need no credentials there. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Connections turn idle as their in-flight answers (released long-polls) go out:
    // close those as they do, and cut whatever is still open after a second.
    const sweep = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => server.closeAllConnections(), 1000);
    server.once('close', () => {
      clearInterval(sweep);
      clearTimeout(cut);
    });
  });
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number, what = 'embedded server', portFlag = '--port'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const hint =
        error.code === 'EADDRINUSE'
          ? `${host}:${port} is already in use (another server running?); pick another port with ${portFlag}`
          : error.code === 'EACCES'
            ? `no permission to listen on ${host}:${port}; use a port above 1024 (${portFlag})`
            : error.message;
      reject(new Error(`${what} cannot listen: ${hint}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the ClearML-compatible API server on a data dir (created if missing). The data dir
 * keeps every queue, task, event and credential across restarts.
 */
export async function startEmbeddedServer(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const host = opts.host ?? DEFAULT_SERVER_HOST;
  const port = opts.port ?? DEFAULT_SERVER_PORT;
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const settings: ServerSettings = {
    workerTimeoutSec: opts.workerTimeoutSec ?? 600,
    taskUpdateTimeoutSec: opts.taskUpdateTimeoutSec ?? 600,
    nonResponsiveTaskTimeoutSec: opts.nonResponsiveTaskTimeoutSec ?? 7200,
    longPollMaxMs: opts.longPollMaxMs ?? DEFAULT_LONG_POLL_MAX_MS,
    serverBuild: `tray-agent-${productVersion}`,
  };

  prepareDataDir(opts.dataDir);
  const { db, created } = openDatabase(opts.dataDir);
  try {
    const authStore = new AuthStore(db);
    const queues = new QueueStore(db, now);
    const { admin, createdCredentials, serverUid } = db.transaction(() => {
      const adminUser = ensureAdminUser(authStore, now());
      if (created) createDefaultQueue(queues, adminUser, now());
      const fresh = authStore.credentialCount() === 0 ? createCredentialsFor(authStore, adminUser, now()) : null;
      return { admin: adminUser, createdCredentials: fresh, serverUid: ensureServerUid(authStore) };
    })();
    authStore.loadRevocations(now());
    const tokens = new TokenService({
      secret: loadOrCreateTokenSecret(opts.dataDir),
      now,
      serverBuild: settings.serverBuild,
      longPollMaxMs: settings.longPollMaxMs,
      isRevoked: (sessionId) => authStore.isRevoked(sessionId),
    });
    const ctx: ServerContext = {
      db,
      authStore,
      tasks: new TaskStore(db),
      queues,
      events: new EventStore(db),
      models: new ModelStore(db),
      workers: new WorkerStore(db),
      projects: new ProjectStore(db),
      tokens,
      waiters: new QueueWaiters(),
      settings,
      now,
      log,
    };
    const taskOps = new TaskOperations(ctx);
    const queueOps = new QueueOperations(ctx, taskOps);
    const modelOps = new ModelOperations(ctx);
    const systemIdentity = identityOf(admin);
    const shutdown = new AbortController();

    const handler = createApiRequestHandler({
      endpoints: [
        ...authEndpoints(ctx),
        ...queuesEndpoints(ctx, queueOps, taskOps),
        ...tasksEndpoints(ctx, taskOps, modelOps),
        ...taskStatusEndpoints(ctx, taskOps, queueOps, modelOps),
        ...taskParamsEndpoints(ctx, taskOps),
        ...taskOutputsEndpoints(ctx, taskOps, modelOps),
        ...modelsEndpoints(ctx, taskOps, modelOps),
        ...workersEndpoints(ctx, taskOps),
        ...eventsEndpoints(ctx, taskOps),
        ...eventsReadbackEndpoints(ctx, taskOps),
        ...projectsEndpoints(ctx),
        ...miscEndpoints(ctx, serverUid),
      ],
      authenticate: async (req: IncomingMessage) => {
        const caller = await authenticate(req.headers, authStore, tokens, now());
        return { identity: caller.identity, sessionId: caller.sessionId };
      },
      anonymous: { user: '', company: '', role: 'guest', user_name: '', company_name: '' },
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      log,
      shutdownSignal: shutdown.signal,
      onCallServed: opts.onCallServed,
    });
    // Files and task pages: open on loopback (only this machine reaches them), the API's
    // credentials anywhere else.
    const filesNeedCredentials = !isLoopbackHost(host);
    const authorizeRequest = filesNeedCredentials
      ? async (req: IncomingMessage) => {
          await authenticate(req.headers, authStore, tokens, now());
        }
      : null;
    const filesHandler = createFilesRequestHandler({
      store: new FileStore(opts.filesDir ?? join(opts.dataDir, FILES_FOLDER)),
      maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      authorize: authorizeRequest,
      log,
    });
    const taskPage = createTaskPageHandler(ctx, authorizeRequest);
    // The API port also answers what is not an API call: task pages (web_server points here)
    // and file requests, so a clearml.conf whose files_server is the API URL keeps working.
    const apiPortHandler = (req: IncomingMessage, res: ServerResponse) => {
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      if (isTaskPageRequest(req.method, pathname)) {
        taskPage(req, res).catch((error: unknown) => {
          log(`task page ${pathname}: ${error instanceof Error ? error.message : String(error)}`);
          if (!res.headersSent) res.writeHead(500).end();
        });
        return;
      }
      const isUpload = req.method === 'POST' && pathname === '/' && /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
      const isFileRead = (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') && pathname !== '/' && !parseRequestPath(pathname);
      if (isUpload || isFileRead) {
        filesHandler(req, res);
        return;
      }
      handler(req, res);
    };
    const httpServer = createServer({ keepAliveTimeout: 65_000 }, apiPortHandler);
    const filesServer = createServer({ keepAliveTimeout: 65_000 }, filesHandler);
    const filesPort = opts.filesPort ?? (port === 0 ? 0 : DEFAULT_FILES_PORT);
    let boundPort: number;
    let boundFilesPort: number;
    try {
      boundPort = await listen(httpServer, host, port);
      boundFilesPort = await listen(filesServer, host, filesPort, 'embedded files server', '--files-port');
    } catch (error) {
      await Promise.all([closeServer(httpServer), closeServer(filesServer)]);
      throw error;
    }
    const checkpointer = startWalCheckpointer(db, join(opts.dataDir, DATABASE_FILE), 1000, log);
    const runMaintenance = () => runMaintenancePass(ctx, taskOps, systemIdentity);
    // Every minute (ClearML's runs every 15): a lost worker's task fails soon after its timeout.
    const stopWatchdog = startWatchdog(runMaintenance, opts.watchdogIntervalMs ?? 60_000, log);
    const urlHost = host.includes(':') ? `[${host}]` : host;
    log(`embedded ClearML server listening on http://${urlHost}:${boundPort}, files on http://${urlHost}:${boundFilesPort} (data: ${opts.dataDir})`);

    let closing: Promise<void> | null = null;
    return {
      url: `http://${urlHost}:${boundPort}`,
      port: boundPort,
      filesUrl: `http://${urlHost}:${boundFilesPort}`,
      filesPort: boundFilesPort,
      webUrl: `http://${urlHost}:${boundPort}`,
      filesNeedCredentials,
      createdCredentials,
      createCredentials: () => createCredentialsFor(authStore, admin, now()),
      runMaintenance,
      close() {
        closing ??= (async () => {
          stopWatchdog();
          shutdown.abort();
          ctx.waiters.closeAll();
          await Promise.all([closeServer(httpServer), closeServer(filesServer)]);
          await checkpointer.stop();
          db.close();
          log('embedded ClearML server stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
