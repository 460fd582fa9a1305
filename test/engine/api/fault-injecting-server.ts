/**
 * A test double for the ClearML API server, used only for what the real (embedded) server
 * cannot be made to do on demand: 503/429/502 answers, hangs, 401 on a valid token, non-JSON
 * bodies. Each test scripts the answers per endpoint; every request is recorded.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

export interface RecordedRequest {
  method: string;
  path: string;
  /** `service.action` parsed from the path. */
  endpoint: string;
  /** `2.14` from `/v2.14/...`, or null when unversioned. */
  version: string | null;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ScriptedAnswer =
  | { kind: 'ok'; data: unknown; delayMs?: number }
  | { kind: 'error'; status: number; subcode?: number; message?: string }
  | { kind: 'raw'; status: number; body: string; contentType?: string }
  | { kind: 'hang' };

export type Responder = (request: RecordedRequest, callIndex: number) => ScriptedAnswer;

export interface FaultInjectingServer {
  url: string;
  requests: RecordedRequest[];
  /** Sets the answers of one endpoint; the callIndex counts that endpoint's requests from 0. */
  on(endpoint: string, responder: Responder): void;
  requestsTo(endpoint: string): RecordedRequest[];
  close(): Promise<void>;
}

function envelope(endpoint: string, version: string | null, code: number, subcode: number, message: string, data: unknown): string {
  return JSON.stringify({
    meta: {
      id: 'f'.repeat(32),
      trx: 'f'.repeat(32),
      endpoint: { name: endpoint, requested_version: version ?? '2.31', actual_version: '2.1' },
      result_code: code,
      result_subcode: subcode,
      result_msg: message,
      error_stack: code === 200 ? '' : null,
      error_data: {},
    },
    data,
  });
}

export async function startFaultInjectingServer(): Promise<FaultInjectingServer> {
  const responders = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const match = /^\/(?:v(\d+\.\d+)\/)?([A-Za-z_]\w*\.[A-Za-z_]\w*)\/?$/.exec(path.split('?')[0] ?? '');
      const endpoint = match?.[2] ?? '';
      const version = match?.[1] ?? null;
      const recorded: RecordedRequest = { method: req.method ?? '', path, endpoint, version, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const index = counts.get(endpoint) ?? 0;
      counts.set(endpoint, index + 1);
      const responder = responders.get(endpoint);
      const answer: ScriptedAnswer = responder ? responder(recorded, index) : { kind: 'error', status: 404, message: `no scripted answer for ${endpoint}` };
      const send = (status: number, body: string, contentType = 'application/json') => {
        res.writeHead(status, { 'Content-Type': contentType });
        res.end(body);
      };
      switch (answer.kind) {
        case 'ok':
          if (answer.delayMs) setTimeout(() => send(200, envelope(endpoint, version, 200, 0, 'OK', answer.data)), answer.delayMs);
          else send(200, envelope(endpoint, version, 200, 0, 'OK', answer.data));
          return;
        case 'error':
          send(answer.status, envelope(endpoint, version, answer.status, answer.subcode ?? 0, answer.message ?? 'scripted error', {}));
          return;
        case 'raw':
          send(answer.status, answer.body, answer.contentType ?? 'text/html');
          return;
        case 'hang':
          return; // never answers; the client's timeout must end the request
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (endpoint, responder) => responders.set(endpoint, responder),
    requestsTo: (endpoint) => requests.filter((r) => r.endpoint === endpoint),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const signingKey = new TextEncoder().encode('fault-injecting-server-signing-key');

/** A server-style JWT (HS256) with the claims a ClearML server puts in it. */
export async function makeServerToken(claims: { iatSec: number; expSec?: number; apiVersion?: string; env?: string; trayAgent?: { long_poll_max_ms: number }; serial?: number }): Promise<string> {
  const payload: Record<string, unknown> = {
    identity: { user: 'u1', company: 'c1', role: 'user' },
    auth_type: 'Bearer',
    server_version: '2.0.0',
    feature_set: 'basic',
    serial: claims.serial ?? 0,
  };
  if (claims.apiVersion !== undefined) payload['api_version'] = claims.apiVersion;
  if (claims.env !== undefined) payload['env'] = claims.env;
  if (claims.trayAgent) payload['tray_agent'] = claims.trayAgent;
  let jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(claims.iatSec);
  if (claims.expSec !== undefined) jwt = jwt.setExpirationTime(claims.expSec);
  return jwt.sign(signingKey);
}

/** Decodes a Basic Authorization header into "key:secret". */
export function basicPair(headers: IncomingHttpHeaders): string | null {
  const value = headers.authorization;
  if (!value?.startsWith('Basic ')) return null;
  return Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8');
}
