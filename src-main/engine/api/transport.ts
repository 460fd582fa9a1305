/**
 * The one place that talks HTTP. It sends a request and hands back the raw answer; everything
 * ClearML-specific (envelope, auth, retries) lives above it. A request that gets no answer
 * throws TransportFailure so the retry policy can tell "no answer" from "an error answer".
 */
import type { HttpAnswer } from './envelope.js';

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export class TransportFailure extends Error {
  constructor(
    readonly reason: 'network' | 'timeout' | 'aborted',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportFailure';
  }
}

export type HttpSend = (request: HttpRequest) => Promise<HttpAnswer>;

/** POST with a body; the server ignores the method (reference §1.1), POST is what proxies expect a body on. */
export const sendHttpRequest: HttpSend = async (request) => {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal });
    const body = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), body };
  } catch (error) {
    if (request.signal?.aborted) throw new TransportFailure('aborted', 'request cancelled', { cause: error });
    if (timeout.aborted) {
      throw new TransportFailure('timeout', `no answer within ${(request.timeoutMs / 1000).toFixed(1)} s`, { cause: error });
    }
    throw new TransportFailure('network', describeNetworkError(error), { cause: error });
  }
};

/** fetch reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
