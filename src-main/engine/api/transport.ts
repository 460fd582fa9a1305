/**
 * The one place that talks HTTP. It sends a request and hands back the raw answer; everything
 * ClearML-specific (envelope, auth, retries) lives above it. A request that gets no answer
 * throws TransportFailure so the retry policy can tell "no answer" from "an error answer".
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

// Keep-alive, as fetch would: a daemon's calls share a connection. Idle sockets close after 4 s,
// before a server's usual 5 s keep-alive timeout can close one under a request. node:http(s)
// rather than fetch, because api.verify_certificate needs a per-client TLS setting.
const IDLE_SOCKET_MS = 4_000;
const httpAgent = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
const verifyingAgent = new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
const trustingAgent = new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, rejectUnauthorized: false });

/**
 * The sender for one setting of api.verify_certificate: with `false`, an https server's
 * certificate is not checked (a self-signed server), as clearml-agent does with that key.
 */
export function createHttpSender(options: { verifyCertificate: boolean }): HttpSend {
  const httpsAgent = options.verifyCertificate ? verifyingAgent : trustingAgent;
  // POST with a body; the server ignores the method (reference §1.1), POST is what proxies expect a body on.
  return (request) => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const fail = (error: unknown): void => {
        if (request.signal?.aborted) reject(new TransportFailure('aborted', 'request cancelled', { cause: error }));
        else if (timeout.aborted) reject(new TransportFailure('timeout', `no answer within ${(request.timeoutMs / 1000).toFixed(1)} s`, { cause: error }));
        else reject(new TransportFailure('network', describeNetworkError(error), { cause: error }));
      };
      let url: URL;
      try {
        url = new URL(request.url);
      } catch (error) {
        fail(error);
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        fail(new Error(`${request.url} is not an http:// or https:// URL`));
        return;
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const agent = url.protocol === 'https:' ? httpsAgent : httpAgent;
      const headers = { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
      const req = send(url, { method: 'POST', headers, agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', fail);
      req.end(request.body);
    });
  };
}

export const sendHttpRequest: HttpSend = createHttpSender({ verifyCertificate: true });

const CERTIFICATE_ERRORS = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE)|ERR_TLS_CERT_ALTNAME_INVALID$)/;

/** What failed, as a person can act on it: the system error code (ECONNREFUSED, ENOTFOUND), and for an untrusted certificate what to do. */
function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CERTIFICATE_ERRORS.test(code)) {
    return `the server's TLS certificate is not trusted (${code}): add its CA to NODE_EXTRA_CA_CERTS, or set api.verify_certificate: false (CLEARML_API_HOST_VERIFY_CERT=0) to skip the check`;
  }
  if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
  return error instanceof Error ? error.message : String(error);
}
