// The bridge in a browser: the dashboard's WebSocket with the same `Bridge` shape as Electron's
// preload. The token comes from the page's own URL. The socket reconnects by itself; calls made
// while it is down wait for it (up to a limit), and `onStatus` tells the header what is going on.
import type { Bridge, BridgeEventName, BridgeEvents } from '../../src-shared/bridge.js';
import { dashboardBridgePath, dashboardCloseCodes, dashboardTokenParam, type DashboardServerMessage } from '../../src-shared/dashboard-protocol.js';

export type TransportStatus =
  | { readonly state: 'connecting' }
  | { readonly state: 'open' }
  | { readonly state: 'retrying'; readonly inMs: number; readonly reason: string }
  | { readonly state: 'refused'; readonly reason: string };

export interface StatusBridge extends Bridge {
  onStatus(listener: (status: TransportStatus) => void): () => void;
}

/** What the client needs of the browser, so tests can hand in the `ws` package's WebSocket. */
export interface DashboardClientEnv {
  readonly pageUrl: string;
  readonly WebSocket: new (url: string) => WebSocket;
  /** How long a call waits for the socket to come (back) up; default 15 s. */
  readonly callWaitMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export function bridgeSocketUrl(pageUrl: string): { url: string; hasToken: boolean } {
  const page = new URL(pageUrl);
  const token = page.searchParams.get(dashboardTokenParam) ?? '';
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return { url: `${scheme}//${page.host}${dashboardBridgePath}?${dashboardTokenParam}=${encodeURIComponent(token)}`, hasToken: token !== '' };
}

export function createDashboardBridge(env: DashboardClientEnv): StatusBridge {
  const { url, hasToken } = bridgeSocketUrl(env.pageUrl);
  const eventListeners = new Map<BridgeEventName, Set<(payload: never) => void>>();
  const statusListeners = new Set<(status: TransportStatus) => void>();
  const pending = new Map<number, Pending>();
  const waitingForOpen = new Set<() => void>();
  let status: TransportStatus = { state: 'connecting' };
  let socket: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;
  let everOpened = false;

  const setStatus = (next: TransportStatus) => {
    status = next;
    for (const listener of statusListeners) listener(next);
  };

  const connect = () => {
    const ws = new env.WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      everOpened = true;
      setStatus({ state: 'open' });
      for (const wake of [...waitingForOpen]) wake();
    };
    ws.onmessage = (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as DashboardServerMessage;
      if (message.type === 'event') {
        for (const listener of eventListeners.get(message.event) ?? []) listener(message.payload as never);
        return;
      }
      const call = pending.get(message.id);
      if (!call) return;
      pending.delete(message.id);
      if (message.ok) call.resolve(message.result);
      else call.reject(new Error(message.error.message));
    };
    // A failed socket always closes next; the close decides what to do.
    ws.onerror = () => undefined;
    ws.onclose = (event: CloseEvent) => {
      socket = null;
      for (const [id, call] of pending) {
        pending.delete(id);
        call.reject(new Error('the connection to the agent was lost before it answered; try again'));
      }
      if (event.code === dashboardCloseCodes.refused) {
        setStatus({ state: 'refused', reason: 'the agent refused this page: open the dashboard address tray-agent printed' });
        return;
      }
      attempt += 1;
      const inMs = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
      const reason = !everOpened
        ? 'cannot reach the agent, or the token in this address is not valid (open the address tray-agent printed)'
        : event.code === dashboardCloseCodes.shutdown
          ? 'the agent stopped'
          : 'the connection to the agent was lost';
      setStatus({ state: 'retrying', inMs, reason });
      setTimeout(connect, inMs);
    };
  };

  const whenOpen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (status.state === 'open') return resolve();
      if (status.state === 'refused') return reject(new Error(status.reason));
      const wake = () => {
        clearTimeout(timer);
        waitingForOpen.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        waitingForOpen.delete(wake);
        reject(new Error('not connected to the agent; is tray-agent still running?'));
      }, env.callWaitMs ?? 15_000);
      waitingForOpen.add(wake);
    });

  if (hasToken) connect();
  else setStatus({ state: 'refused', reason: 'this address has no token: open the dashboard address tray-agent printed' });

  return {
    async call(name, args) {
      await whenOpen();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        socket?.send(JSON.stringify({ type: 'call', id, name, args }));
      });
    },
    on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void) {
      const set = eventListeners.get(event) ?? new Set();
      eventListeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
  };
}
