import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from './errors.js';
import { parseEnvelope, type EnvelopeData } from './envelope.js';
import { backoffDelayMs, shouldRetry, type RetryPolicy } from './retry-policy.js';
import { decodeServerToken, tokenNeedsRefresh, type ServerCapabilities, type TokenInfo } from './token.js';
import { TransportFailure, type HttpSend } from './transport.js';

export type ApiLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type ApiLogger = (level: ApiLogLevel, msg: string) => void;

export interface ApiCredentials {
  accessKey: string;
  secretKey: string;
}

export interface ApiSessionOptions {
  apiServer: string;
  credentials: ApiCredentials | null;
  authToken: string | null;
  /** Sent as X-ClearML-Worker (the machine name; the server uses it as the default event worker). */
  workerName: string;
  /** Sent as X-ClearML-Agent. */
  agentName: string;
  logger: ApiLogger;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  tokenRefreshThresholdSec: number;
  send: HttpSend;
  now: () => number;
}

export interface CallOptions {
  /** API level for the path (`/v2.14/...`); undefined = unversioned (the server's newest). */
  version?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Pre-encoded body with its content type (json-lines batches); default: JSON of `body`. */
  rawBody?: { text: string; contentType: string };
}

type AuthMode = { type: 'token' } | { type: 'basic'; credentials: ApiCredentials } | { type: 'bearer'; token: string } | { type: 'none' };

/**
 * One authenticated conversation with a ClearML API server: login (Basic → JWT), Bearer on
 * every call, refresh before expiry and exactly once after a 401, retries with backoff, and
 * the envelope turned into data or an ApiError. The typed services sit on top of `call`.
 */
export class ApiSession {
  private readonly baseUrl: string;
  private token: string | null = null;
  private tokenInfo: TokenInfo | null = null;
  private authInFlight: Promise<void> | null = null;

  constructor(private readonly options: ApiSessionOptions) {
    this.baseUrl = normaliseApiServer(options.apiServer);
    if (options.authToken) this.adoptToken(options.authToken);
  }

  get apiServer(): string {
    return this.baseUrl;
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  /** The server's capabilities from the current token; known after login (or from an authToken at once). */
  capabilities(): ServerCapabilities {
    if (!this.tokenInfo) {
      throw new Error('the API server capabilities are known only after login(): call client.login() first');
    }
    return { ...this.tokenInfo.capabilities };
  }

  /** The current JWT, for handing to child processes as CLEARML_AUTH_TOKEN; never log it. */
  currentToken(): string | null {
    return this.token;
  }

  /** Logs in now (Basic with the credentials, or a Bearer refresh of a given token). */
  async login(): Promise<void> {
    await this.singleFlight(() => this.obtainToken(this.token && !this.options.credentials ? 'refresh' : 'login'));
  }

  /** Makes sure there is a token that is not about to expire. */
  async ensureAuthenticated(): Promise<void> {
    if (!this.token || !this.tokenInfo) {
      await this.singleFlight(() => this.obtainToken('login'));
      return;
    }
    if (tokenNeedsRefresh(this.tokenInfo, this.options.tokenRefreshThresholdSec, this.options.now())) {
      await this.singleFlight(() => this.refreshBeforeExpiry());
    }
  }

  /** An authenticated call; resolves to the envelope's `data`. */
  async call(endpoint: string, body: object, options: CallOptions = {}): Promise<EnvelopeData> {
    await this.ensureAuthenticated();
    return this.exchange(endpoint, body, options, { type: 'token' });
  }

  /** A call without credentials (server.info, debug.ping). */
  async callAnonymous(endpoint: string, body: object, options: CallOptions = {}): Promise<EnvelopeData> {
    return this.exchange(endpoint, body, options, { type: 'none' });
  }

  private async singleFlight(work: () => Promise<void>): Promise<void> {
    if (!this.authInFlight) {
      this.authInFlight = work().finally(() => {
        this.authInFlight = null;
      });
    }
    await this.authInFlight;
  }

  private adoptToken(token: string): void {
    const info = decodeServerToken(token);
    this.token = token;
    this.tokenInfo = info;
  }

  /** 'login' prefers the credentials; 'refresh' prefers a Bearer login with the current token. */
  private async obtainToken(prefer: 'login' | 'refresh'): Promise<void> {
    const { credentials } = this.options;
    const current = this.token;
    if (prefer === 'refresh' && current) {
      try {
        await this.loginWith({ type: 'bearer', token: current });
        return;
      } catch (error) {
        if (!credentials) throw error;
        this.options.logger('debug', `token refresh failed (${describe(error)}); logging in with the access key`);
      }
    }
    if (credentials) {
      await this.loginWith({ type: 'basic', credentials });
      return;
    }
    if (current) {
      await this.loginWith({ type: 'bearer', token: current });
      return;
    }
    throw new ApiError({
      kind: 'http',
      httpCode: 0,
      resultCode: 401,
      resultSubcode: 20,
      endpoint: 'auth.login',
      message:
        `no credentials for ${this.baseUrl}: set api.credentials.access_key/secret_key in clearml.conf ` +
        '(or CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY, or CLEARML_AUTH_TOKEN)',
    });
  }

  private async refreshBeforeExpiry(): Promise<void> {
    try {
      await this.obtainToken('refresh');
      this.options.logger('debug', 'API token refreshed before expiry');
    } catch (error) {
      // A token that is still valid keeps working; the next call (or its 401) tries again.
      const info = this.tokenInfo;
      if (info?.expiresAtMs != null && info.expiresAtMs > this.options.now()) {
        this.options.logger('warn', `could not refresh the API token, using the current one until it expires: ${describe(error)}`);
        return;
      }
      throw error;
    }
  }

  private async loginWith(mode: AuthMode): Promise<void> {
    let data: EnvelopeData;
    try {
      data = await this.exchange('auth.login', {}, {}, mode);
    } catch (error) {
      if (error instanceof ApiError && error.resultCode === 401) {
        const which = mode.type === 'basic' ? 'the access key / secret key (api.credentials)' : 'the auth token (CLEARML_AUTH_TOKEN)';
        throw new ApiError({
          kind: error.kind,
          httpCode: error.httpCode,
          resultCode: error.resultCode,
          resultSubcode: error.resultSubcode,
          endpoint: 'auth.login',
          message: `login to ${this.baseUrl} refused: ${error.message}; check ${which}`,
          cause: error,
        });
      }
      throw error;
    }
    const token = data['token'];
    if (typeof token !== 'string' || token === '') {
      throw new ApiError({ kind: 'response', httpCode: 200, resultCode: 200, resultSubcode: 0, endpoint: 'auth.login', message: 'auth.login answered without a token' });
    }
    try {
      this.adoptToken(token);
    } catch (error) {
      throw new ApiError({ kind: 'response', httpCode: 200, resultCode: 200, resultSubcode: 0, endpoint: 'auth.login', message: `auth.login: ${describe(error)}`, cause: error });
    }
  }

  private authorizationHeader(mode: AuthMode): { header: string | null; usedToken: string | null } {
    switch (mode.type) {
      case 'basic': {
        const pair = `${mode.credentials.accessKey}:${mode.credentials.secretKey}`;
        return { header: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`, usedToken: null };
      }
      case 'bearer':
        return { header: `Bearer ${mode.token}`, usedToken: mode.token };
      case 'token':
        return { header: this.token ? `Bearer ${this.token}` : null, usedToken: this.token };
      case 'none':
        return { header: null, usedToken: null };
    }
  }

  private url(endpoint: string, version: string | undefined): string {
    return version ? `${this.baseUrl}/v${version}/${endpoint}` : `${this.baseUrl}/${endpoint}`;
  }

  /** Sends until an answer is final: retries per the policy, one re-login after a 401 on token calls. */
  private async exchange(endpoint: string, body: object, options: CallOptions, mode: AuthMode): Promise<EnvelopeData> {
    const text = options.rawBody?.text ?? JSON.stringify(body);
    const contentType = options.rawBody?.contentType ?? 'application/json';
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    let retries = 0;
    let reloggedIn = false;
    for (;;) {
      const { header, usedToken } = this.authorizationHeader(mode);
      const headers: Record<string, string> = {
        'Content-Type': contentType,
        'X-ClearML-Worker': this.options.workerName,
        'X-Trains-Worker': this.options.workerName,
        'X-ClearML-Agent': this.options.agentName,
        'X-Trains-Agent': this.options.agentName,
      };
      if (header) headers['Authorization'] = header;
      let failure: { retryAs: { type: 'status'; status: number } | { type: 'no-answer' }; error: ApiError };
      try {
        const answer = await this.options.send({ url: this.url(endpoint, options.version), headers, body: text, timeoutMs, signal: options.signal });
        return parseEnvelope(answer, endpoint);
      } catch (error) {
        if (error instanceof TransportFailure) {
          if (error.reason === 'aborted') throw cancelledError(endpoint, error);
          failure = { retryAs: { type: 'no-answer' }, error: this.noAnswerError(endpoint, error, retries) };
        } else if (error instanceof ApiError) {
          if (error.httpCode === 401 && mode.type === 'token' && !reloggedIn) {
            reloggedIn = true;
            // Another call may already have replaced the token this one was refused with.
            if (this.token === usedToken) {
              this.options.logger('debug', `${endpoint}: token refused (401), logging in again`);
              await this.singleFlight(() => this.obtainToken('login'));
            }
            continue;
          }
          failure = { retryAs: { type: 'status', status: error.httpCode }, error };
        } else {
          throw error;
        }
      }
      if (!shouldRetry(failure.retryAs, retries, this.options.retry)) throw failure.error;
      retries += 1;
      const delayMs = backoffDelayMs(retries, this.options.retry);
      this.options.logger('warn', `${endpoint}: ${retryReason(failure.error)}; retry ${retries} in ${(delayMs / 1000).toFixed(1)} s`);
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch (error) {
        throw cancelledError(endpoint, error);
      }
    }
  }

  private noAnswerError(endpoint: string, failure: TransportFailure, retries: number): ApiError {
    const attempts = retries > 0 ? ` after ${retries + 1} attempts` : '';
    return new ApiError({
      kind: failure.reason === 'timeout' ? 'timeout' : 'network',
      httpCode: 0,
      resultCode: 0,
      resultSubcode: 0,
      endpoint,
      message: `${endpoint}: no answer from ${this.baseUrl} (${failure.message})${attempts}; is the server running and api.api_server right?`,
      cause: failure,
    });
  }
}

function retryReason(error: ApiError): string {
  if (error.kind !== 'http') return error.kind === 'timeout' ? 'timed out' : 'no answer (network)';
  if (error.httpCode === 503) return 'server unavailable or in maintenance (HTTP 503)';
  return `HTTP ${error.httpCode}`;
}

function cancelledError(endpoint: string, cause: unknown): ApiError {
  return new ApiError({ kind: 'cancelled', httpCode: 0, resultCode: 0, resultSubcode: 0, endpoint, message: `${endpoint}: cancelled`, cause });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `http://host:8008/` → `http://host:8008`; anything but an http(s) URL is a configuration error. */
export function normaliseApiServer(apiServer: string): string {
  let url: URL;
  try {
    url = new URL(apiServer);
  } catch {
    throw new Error(`api.api_server "${apiServer}" is not a URL; set it to the API server, e.g. http://127.0.0.1:8008`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`api.api_server "${apiServer}" must start with http:// or https://`);
  }
  if (url.username || url.password) {
    throw new Error('api.api_server must not carry a user or password; put the keys in api.credentials');
  }
  return url.toString().replace(/\/+$/, '');
}
