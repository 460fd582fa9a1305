import type { z } from 'zod';
import { apiError } from './http/api-error.js';
import type { JsonObject } from './http/request-params.js';

/**
 * Clients (the agent's raw calls) send explicit `null` for unset fields; ClearML treats them
 * as absent, so top-level nulls are dropped before validation.
 */
function withoutNulls(body: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (value !== null) Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function describePath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.');
}

/**
 * Validates a request body: a required field that is absent → 400/11 naming it, any other
 * problem → 400/12 naming the field and what was expected.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: JsonObject): z.output<S> {
  const input = withoutNulls(body);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const missing = result.error.issues
    .filter((issue) => issue.path.length === 1 && input[String(issue.path[0])] === undefined)
    .map((issue) => String(issue.path[0]));
  if (missing.length > 0) throw apiError('missing_required_fields', undefined, { fields: missing });
  const details = result.error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${describePath(issue.path)}: ${issue.message}` : issue.message))
    .join('; ');
  throw apiError('validation_error', details);
}
