// `tray-agent up` / `daemon --dashboard`: the renderer and the bridge for a browser, on
// 127.0.0.1 only, behind a random token carried by the printed URL.
import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BridgeHandler } from '../../src-shared/bridge.js';
import { dashboardBridgePath, dashboardCloseCodes, dashboardTokenParam } from '../../src-shared/dashboard-protocol.js';
import { createAccessPolicy, newDashboardToken, type AccessPolicy } from './access-policy.js';
import { securityHeaders, serveStatic } from './static-files.js';
import { serveBridgeSocket } from './bridge-socket.js';

export interface DashboardOptions {
  handler: BridgeHandler;
  /** Default 0: a free port. */
  port?: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** For tests; default a fresh random token. */
  token?: string;
}

export interface Dashboard {
  /** `http://127.0.0.1:PORT/?token=…` — print it; it is the key. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class DashboardStartError extends Error {
  override readonly name = 'DashboardStartError';
}

const LISTEN_HOST = '127.0.0.1';

function refuse(response: ServerResponse, status: number, reason: string): void {
  response.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(`Tray Agent dashboard: ${reason}\n`);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\n`);
}

function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return '/';
  }
}

/** Where the built renderer is, next to the running bundle (out/main → out/renderer) or from the sources. */
export function defaultRendererDir(): string {
  const candidates = [join(import.meta.dirname, '..', 'renderer'), join(import.meta.dirname, '..', '..', 'out', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  try {
    await access(join(options.rendererDir, 'index.html'));
  } catch {
    throw new DashboardStartError(`the dashboard page is not built (no index.html in ${options.rendererDir}); run \`npm run build\` first`);
  }
  let policy: AccessPolicy | null = null;
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const server = createServer((request, response) => {
    if (!policy) return refuse(response, 503, 'starting');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'read-only');
    const decision = policy.check(request);
    if (!decision.allowed) return refuse(response, decision.status, decision.reason);
    void serveStatic(request, response, options.rendererDir, policy.urlHasToken(request) ? { 'Set-Cookie': policy.setCookieHeader() } : {});
  });

  server.on('upgrade', (request, socket, head) => {
    if (!policy) return refuseUpgrade(socket, 403, 'starting');
    if (pathOf(request) !== dashboardBridgePath) return refuseUpgrade(socket, 404, 'no such endpoint');
    const decision = policy.check(request);
    if (!decision.allowed) return refuseUpgrade(socket, decision.status, decision.reason);
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      serveBridgeSocket(ws, options.handler);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DashboardStartError(
          error.code === 'EADDRINUSE'
            ? `dashboard port ${options.port} is in use; pick another with --dashboard-port, or 0 for a free one`
            : `cannot start the dashboard on ${LISTEN_HOST}:${options.port ?? 0} (${error.message})`,
        ),
      ),
    );
    server.listen(options.port ?? 0, LISTEN_HOST, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  policy = createAccessPolicy({ token: options.token ?? newDashboardToken(), port });
  const url = `http://${LISTEN_HOST}:${port}/?${dashboardTokenParam}=${policy.token}`;

  return {
    url,
    port,
    async close() {
      for (const ws of sockets) ws.close(dashboardCloseCodes.shutdown, 'the agent is shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
