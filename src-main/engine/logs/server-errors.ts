import { isApiError } from '../api/errors.js';

/**
 * The server refused the request itself (HTTP 400: bad or unknown task, events not added), so
 * sending it again cannot help. Everything else — no answer, time-outs, 401/403 (credentials
 * being fixed), 429, 5xx, unknown errors — is treated as "not now": data is kept and retried.
 */
export function isPermanentRejection(error: unknown): boolean {
  return isApiError(error) && error.kind === 'http' && error.httpCode === 400;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
