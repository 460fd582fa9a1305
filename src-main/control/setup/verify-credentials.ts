// "Verifying credentials ...": logs in with a key pair the way every later command will, and
// turns each way that can fail into a sentence that says what to do.
import { createApiClient, isApiError } from '../../engine/api/index.js';
import type { VerifyResult } from '../../../src-shared/views.js';

export interface ServerCredentials {
  readonly apiServer: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface VerifyOptions {
  /** Retries after the first attempt for no answer (clearml's wizard tries 3 times in all). */
  maxRetries?: number;
  requestTimeoutMs?: number;
}

function explain(error: unknown, apiServer: string): string {
  if (isApiError(error)) {
    if (error.kind === 'network') return `cannot reach the server at ${apiServer} (${error.message}); check api_server and that the server is running`;
    if (error.kind === 'timeout') return `the server at ${apiServer} did not answer in time; check api_server and your network`;
    if (error.httpCode === 401 || error.httpCode === 403) {
      return `the server at ${apiServer} refused these credentials (wrong, revoked or for another server); create new ones in the web app (Settings > Workspace) and paste them again`;
    }
    return `the server at ${apiServer} answered with an error (${error.httpCode}: ${error.message}); check that api_server points at a ClearML API server`;
  }
  return `verifying against ${apiServer} failed: ${error instanceof Error ? error.message : String(error)}`;
}

function userName(data: unknown): string | null {
  const user = (data as { user?: { name?: unknown; id?: unknown } } | null)?.user;
  if (typeof user?.name === 'string' && user.name) return user.name;
  return typeof user?.id === 'string' ? user.id : null;
}

/** Logs in and asks who we are; never throws. The result carries no secret. */
export async function verifyCredentials(credentials: ServerCredentials, options: VerifyOptions = {}): Promise<VerifyResult> {
  const client = createApiClient({
    apiServer: credentials.apiServer,
    credentials: { accessKey: credentials.accessKey, secretKey: credentials.secretKey },
    maxRetries: options.maxRetries ?? 2,
    retryBaseDelayMs: 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });
  try {
    await client.login();
  } catch (error) {
    return { ok: false, user: null, apiVersion: null, error: explain(error, credentials.apiServer) };
  }
  const apiVersion = client.capabilities().apiVersion;
  let user: string | null = null;
  try {
    user = userName(await client.call('users.get_current_user', {}));
  } catch {
    // Logged in is what counts; some servers restrict users.get_current_user.
  }
  return { ok: true, user, apiVersion, error: null };
}
