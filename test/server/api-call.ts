// Raw HTTP calls to the embedded server for these tests: `fetch` with ClearML's conventions,
// no API client in between, so what is asserted is exactly what a ClearML client receives.
// `nodeRequest` covers what fetch refuses to send (GET with a body, Content-Encoding).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded-server.js';

/** A response object whose shape the test asserts; reads of any depth are allowed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response JSON
export type JsonRecord = Record<string, any>;

export interface Envelope<D = Record<string, unknown>> {
  meta: {
    id: string;
    trx: string;
    endpoint: { name: string; requested_version: string; actual_version: string };
    result_code: number;
    result_subcode: number;
    result_msg: string;
    error_stack: string | null;
    error_data: Record<string, unknown>;
  };
  data: D;
}

export interface CallOptions {
  auth?: string | null;
  version?: string;
  method?: string;
  headers?: Record<string, string>;
  /** sent as-is instead of JSON.stringify(body) */
  rawBody?: string;
  query?: string;
}

export interface CallResult<D = JsonRecord> {
  status: number;
  envelope: Envelope<D>;
  headers: Headers;
}

export function basicAuth(accessKey: string, secretKey: string): string {
  return `Basic ${Buffer.from(`${accessKey}:${secretKey}`).toString('base64')}`;
}

export async function rawCall<D = JsonRecord>(
  baseUrl: string,
  endpoint: string,
  body: unknown = {},
  options: CallOptions = {},
): Promise<CallResult<D>> {
  const path = options.version ? `/v${options.version}/${endpoint}` : `/${endpoint}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.auth) headers.authorization = options.auth;
  const response = await fetch(`${baseUrl}${path}${options.query ? `?${options.query}` : ''}`, {
    method: options.method ?? 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, envelope: JSON.parse(text) as Envelope<D>, headers: response.headers };
}

/** A logged-in session: `call` uses the Bearer token from auth.login. */
export interface Session {
  token: string;
  basic: string;
  call<D = JsonRecord>(endpoint: string, body?: unknown, options?: CallOptions): Promise<CallResult<D>>;
  /** call that must succeed; returns `data` */
  ok<D = JsonRecord>(endpoint: string, body?: unknown, options?: CallOptions): Promise<D>;
}

export async function login(server: Pick<TestServer, 'url' | 'credentials'>): Promise<Session> {
  const basic = basicAuth(server.credentials.accessKey, server.credentials.secretKey);
  const result = await rawCall<{ token: string }>(server.url, 'auth.login', {}, { auth: basic });
  if (result.status !== 200) throw new Error(`login failed: ${result.envelope.meta.result_msg}`);
  const token = result.envelope.data.token;
  const call = <D>(endpoint: string, body: unknown = {}, options: CallOptions = {}) =>
    rawCall<D>(server.url, endpoint, body, { auth: `Bearer ${token}`, ...options });
  return {
    token,
    basic,
    call,
    async ok<D>(endpoint: string, body: unknown = {}, options: CallOptions = {}) {
      const result = await call<D>(endpoint, body, options);
      if (result.status !== 200) {
        throw new Error(`${endpoint} failed: ${result.status} ${result.envelope.meta.result_subcode} ${result.envelope.meta.result_msg}`);
      }
      return result.envelope.data;
    },
  };
}

/** Creates a task (status created) and returns its id. */
export async function createTask(session: Session, fields: Record<string, unknown> = {}): Promise<string> {
  const data = await session.ok<{ id: string }>('tasks.create', { name: 'test task', type: 'training', ...fields });
  return data.id;
}

export async function getTask(session: Session, id: string, version?: string): Promise<JsonRecord> {
  const data = await session.ok<{ task: JsonRecord }>('tasks.get_by_id', { task: id }, version ? { version } : {});
  return data.task;
}

export async function defaultQueueId(session: Session): Promise<string> {
  return (await session.ok<{ id: string }>('queues.get_default')).id;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request through node:http, any method, any headers, any body. */
export function nodeRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const url = new URL(options.path, baseUrl);
  // Like python-requests: a body always goes with its Content-Length, whatever the method.
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: options.method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/**
 * Registers beforeAll/afterAll hooks: a fresh embedded server (with `options`) and a logged-in
 * session on it, handed to `use` once ready; the server is closed after the file's tests.
 */
export function useServerSession(use: (bed: { server: TestServer; session: Session }) => void, options?: Parameters<typeof startTestServer>[0]): void {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
    use({ server, session: await login(server) });
  });
  afterAll(() => server?.close());
}
