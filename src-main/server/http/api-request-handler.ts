import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  MAX_API_VERSION,
  compareApiVersions,
  formatApiVersion,
  parseApiVersion,
  type ApiVersion,
} from '../api-version.js';
import type { CallContext, EndpointDefinition } from '../endpoint.js';
import type { Identity } from '../identity.js';
import { newId } from '../ids.js';
import { ApiError, apiError } from './api-error.js';
import { errorEnvelope, successEnvelope, type CallMeta, type Envelope } from './envelope.js';
import {
  JSON_LINES_CONTENT_TYPE,
  parseJsonBody,
  parseJsonLinesBody,
  readRequestBody,
} from './request-body.js';
import { mergeParams, queryParamsToObject, type JsonObject } from './request-params.js';
import { parseRequestPath } from './request-path.js';

export interface Caller {
  identity: Identity;
  sessionId: string | null;
}

export interface RequestHandlerOptions {
  endpoints: readonly EndpointDefinition[];
  /** Resolves the caller from the headers or throws the 401 ApiError. */
  authenticate: (req: IncomingMessage) => Promise<Caller>;
  /** Identity given to endpoints without auth when the caller sent no usable credentials. */
  anonymous: Identity;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** Aborted when the server closes, so long-polls return at once. */
  shutdownSignal: AbortSignal;
  /** Told of every answered call (for metrics and benchmarks). */
  onCallServed?: ((call: ServedCall) => void) | undefined;
}

export interface ServedCall {
  endpoint: string;
  requestedVersion: string;
  status: number;
  /** from the request's arrival to the answer being handed to the socket */
  durationMs: number;
}

/**
 * How long after an answer that carries an undo (a popped task) the caller closing its
 * connection counts as "never got it": a keep-alive client that read the answer keeps the
 * connection (or sends its next request on it); one that closed (or timed out) as the answer
 * went out leaves its FIN or reset right after.
 */
const DELIVERY_GRACE_MS = 1000;
/** Undoing waits this long after such a close, so a tasks.started already on its way lands first. */
const UNDO_CONFIRM_MS = 2000;

interface PendingDelivery {
  undo: () => void;
  writtenAt: number;
}

interface SocketWatch {
  pending: PendingDelivery[];
}

/**
 * Answers with an undo, per connection, until the caller proves it read them (its next request
 * on the connection) or the grace period passes. One pair of listeners per socket, however many
 * answers go out on it.
 */
const socketWatches = new WeakMap<Socket, SocketWatch>();

function watchSocket(socket: Socket, shutdown: AbortSignal): SocketWatch {
  const existing = socketWatches.get(socket);
  if (existing) return existing;
  const watch: SocketWatch = { pending: [] };
  socketWatches.set(socket, watch);
  const onPeerClosed = () => {
    const now = performance.now();
    const lost = watch.pending.filter((entry) => now - entry.writtenAt <= DELIVERY_GRACE_MS);
    watch.pending = [];
    if (lost.length === 0) return;
    setTimeout(() => {
      if (shutdown.aborted) return;
      for (const entry of lost) entry.undo();
    }, UNDO_CONFIRM_MS).unref();
  };
  socket.once('end', onPeerClosed);
  // A peer that closes with our answer unread resets the connection (no FIN): an error close.
  socket.once('close', (hadError: boolean) => (hadError ? onPeerClosed() : (watch.pending = [])));
  return watch;
}

/** A new request on the connection: the caller read the answers before it. */
function requestArrived(socket: Socket): void {
  const watch = socketWatches.get(socket);
  if (watch) watch.pending = [];
}

/**
 * Runs `undo` when the answer just written did not reach the caller: the connection closed
 * before the answer was fully written, or the caller closed it within the grace period without
 * another request. The undo itself re-checks the state it would restore (a started task stays).
 */
function watchDelivery(req: IncomingMessage, res: ServerResponse, undo: () => void, shutdown: AbortSignal): void {
  res.once('close', () => {
    if (!res.writableFinished) undo();
  });
  const watch = watchSocket(req.socket, shutdown);
  watch.pending.push({ undo, writtenAt: performance.now() });
}

interface ResolvedEndpoint {
  definition: EndpointDefinition;
  requested: ApiVersion;
  actual: string;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, X-ClearML-Worker, X-ClearML-Client, X-ClearML-Trx',
};

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The protocol layer of §1: any method, body + query merge, json-lines batches, the envelope
 * on every answer (HTTP status = result_code), versioned and unversioned paths.
 */
export function createApiRequestHandler(options: RequestHandlerOptions) {
  const byName = new Map<string, { definition: EndpointDefinition; versions: ApiVersion[] }>();
  for (const definition of options.endpoints) {
    const versions = definition.versions.map((text) => {
      const version = parseApiVersion(text);
      if (!version) throw new Error(`endpoint ${definition.name}: bad version ${text}`);
      return version;
    });
    byName.set(definition.name, { definition, versions });
  }
  const maxVersion = parseApiVersion(MAX_API_VERSION) as ApiVersion;

  /** Writes the envelope; false when the connection can no longer take it. */
  function send(res: ServerResponse, envelope: Envelope, extraHeaders: Record<string, string> = {}): boolean {
    // (A pipelined response may not have its socket yet; Node buffers it, so only a socket that
    // is there and closed counts as gone.)
    if (res.headersSent || res.destroyed || (res.socket && (res.socket.destroyed || !res.socket.writable))) return false;
    const body = JSON.stringify(envelope);
    res.writeHead(envelope.meta.result_code, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...extraHeaders,
    });
    res.end(body);
    return true;
  }

  function resolve(pathname: string, meta: CallMeta): ResolvedEndpoint {
    const parsed = parseRequestPath(pathname);
    if (!parsed) throw apiError('invalid_request_path', undefined, { path: pathname });
    meta.endpointName = parsed.endpoint;
    const requested = parsed.version ?? maxVersion;
    meta.requestedVersion = parsed.versionText ?? MAX_API_VERSION;
    const entry = byName.get(parsed.endpoint);
    const implementations = entry?.versions.filter((version) => compareApiVersions(version, requested) <= 0) ?? [];
    const actual = implementations.at(-1);
    if (!entry || !actual) {
      throw new ApiError(404, 0, `Unable to find endpoint for name ${parsed.endpoint} and version ${meta.requestedVersion}`);
    }
    meta.actualVersion = formatApiVersion(actual);
    return { definition: entry.definition, requested, actual: meta.actualVersion };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, meta: CallMeta): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { definition, requested } = resolve(url.pathname, meta);

    const encoding = headerValue(req, 'content-encoding');
    if (encoding && encoding.trim() !== '') {
      throw apiError('unsupported_media_type', `compressed request bodies are not accepted (Content-Encoding: ${encoding})`);
    }
    const raw = await readRequestBody(req, options.maxBodyBytes);
    let body: JsonObject;
    let batch: unknown[] | null = null;
    if (headerValue(req, 'content-type') === JSON_LINES_CONTENT_TYPE) {
      if (!definition.batch) throw apiError('validation_error', `${definition.name} does not accept a json-lines batch`);
      batch = parseJsonLinesBody(raw);
      body = queryParamsToObject(url.searchParams);
    } else {
      body = mergeParams(parseJsonBody(raw), queryParamsToObject(url.searchParams));
    }

    let caller: Caller = { identity: options.anonymous, sessionId: null };
    if (definition.authorize !== false) {
      caller = await options.authenticate(req);
    } else if (req.headers.authorization) {
      caller = await options.authenticate(req).catch(() => caller);
    }

    // Only long-polls need to know when the caller hangs up; the controller and its
    // listeners are made on first use of `signal` rather than for every call.
    let abort: AbortController | null = null;
    const onClose = () => {
      if (!res.writableFinished) abort?.abort();
    };
    const onShutdown = () => abort?.abort();
    const signal = () => {
      if (!abort) {
        abort = new AbortController();
        if (options.shutdownSignal.aborted) abort.abort();
        res.on('close', onClose);
        options.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
      }
      return abort.signal;
    };
    // Undo actions for an answer that never reaches the caller: run once, when the answer
    // could not be written, or when the connection closed before it was fully written out.
    let undoActions: Array<() => void> | null = null;
    const runUndo = () => {
      const actions = undoActions ?? [];
      undoActions = [];
      for (const undo of actions) {
        try {
          undo();
        } catch (error) {
          options.log(`undoing an undelivered ${definition.name} answer failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    };
    const ctx: CallContext = {
      endpoint: definition.name,
      version: requested,
      body,
      batch,
      identity: caller.identity,
      sessionId: caller.sessionId,
      headers: req.headers,
      clientIp: headerValue(req, 'x-forwarded-for')?.split(',')[0]?.trim() || headerValue(req, 'x-real-ip') || req.socket.remoteAddress || '',
      workerHeader: headerValue(req, 'x-clearml-worker') ?? headerValue(req, 'x-trains-worker'),
      responseHeaders: {},
      get signal() {
        return signal();
      },
      // (req.destroyed is no guide: a fully read request is destroyed while its socket lives on.)
      connectionAlive: () => !req.socket.destroyed && req.socket.writable && !res.destroyed && !res.writableEnded,
      onUndelivered(undo) {
        (undoActions ??= []).push(undo);
      },
    };
    try {
      const data = await definition.handle(ctx);
      const written = send(res, successEnvelope(meta, data), ctx.responseHeaders);
      if (undoActions) {
        if (!written) runUndo();
        else watchDelivery(req, res, runUndo, options.shutdownSignal);
      }
    } catch (error) {
      if (undoActions) runUndo();
      throw error;
    } finally {
      if (abort) {
        res.off('close', onClose);
        options.shutdownSignal.removeEventListener('abort', onShutdown);
      }
    }
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const arrived = performance.now();
    requestArrived(req.socket);
    const id = newId();
    const meta: CallMeta = {
      id,
      trx: headerValue(req, 'x-clearml-trx') ?? headerValue(req, 'x-trains-trx') ?? id,
      endpointName: '',
      requestedVersion: '',
      actualVersion: '',
    };
    if (req.method === 'OPTIONS') {
      req.resume();
      send(res, successEnvelope(meta, {}), CORS_HEADERS);
      return;
    }
    if (options.onCallServed) {
      const report = options.onCallServed;
      res.once('finish', () =>
        report({ endpoint: meta.endpointName, requestedVersion: meta.requestedVersion, status: res.statusCode, durationMs: performance.now() - arrived }),
      );
    }
    handle(req, res, meta).catch((error: unknown) => {
      if (error instanceof ApiError) {
        const headers: Record<string, string> = error.code === 413 ? { connection: 'close' } : {};
        send(res, errorEnvelope(meta, error), headers);
        return;
      }
      const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
      options.log(`error serving ${meta.endpointName || req.url}: ${stack}`);
      send(res, errorEnvelope(meta, apiError('general_error', error instanceof Error ? error.message : String(error)), stack));
    });
  };
}
