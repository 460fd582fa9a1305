import type { IncomingHttpHeaders } from 'node:http';
import type { ApiVersion } from './api-version.js';
import type { Identity } from './identity.js';
import type { JsonObject } from './http/request-params.js';

/** One API call as a handler sees it. */
export interface CallContext {
  endpoint: string;
  /** The version the caller asked for (the server max when the URL had none). */
  version: ApiVersion;
  /** JSON body merged with the query parameters; `{}` for a json-lines batch. */
  body: JsonObject;
  /** The items of an `application/json-lines` body, else null. */
  batch: unknown[] | null;
  /** The authenticated caller; for endpoints without auth, whoever the headers name, if anyone. */
  identity: Identity;
  /** The JWT session the call was made with (Bearer), null for Basic or no auth. */
  sessionId: string | null;
  headers: IncomingHttpHeaders;
  clientIp: string;
  /** `X-ClearML-Worker` (or the legacy `X-Trains-Worker`) header. */
  workerHeader: string | undefined;
  /** Extra HTTP response headers a handler wants sent (auth.login sets a cookie). */
  responseHeaders: Record<string, string>;
  /** Aborted when the client goes away or the server closes (long-poll waits on it). */
  signal: AbortSignal;
  /** Whether the caller's connection can still take an answer (checked before handing out a task). */
  connectionAlive(): boolean;
  /**
   * Registers what to undo when this call's answer cannot be delivered (the connection closed
   * before the answer was written out): get_next_task puts the popped task back.
   */
  onUndelivered(undo: () => void): void;
}

export type EndpointHandler = (ctx: CallContext) => JsonObject | Promise<JsonObject>;

export interface EndpointDefinition {
  name: string;
  /** min_version of each implementation, ascending; the first is where the endpoint appears. */
  versions: readonly string[];
  /** false for server.info / debug.ping, the only calls without credentials. */
  authorize?: boolean;
  /** Accepts an `application/json-lines` body. */
  batch?: boolean;
  handle: EndpointHandler;
}
