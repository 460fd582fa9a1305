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

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part as string)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

export interface ParseOptions {
  /**
   * ClearML answers a missing required field with 400/12 for endpoints validated by a request
   * model (almost all), and with 400/11 `missing required fields` for the few that list their
   * required fields by hand (projects.create among them).
   */
  missingFields?: 'validation_error' | 'missing_required_fields';
}

/**
 * Validates a request body the way ClearML answers: every problem is 400/12
 * `validation error (error for field '<f>'. <what>)` — a missing required field says
 * `field is required!`, an unknown field inside a sub-document names it — except that
 * endpoints marked `missing_required_fields` answer missing fields with 400/11.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: JsonObject, options: ParseOptions = {}): z.output<S> {
  const input = withoutNulls(body);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const missing = issues.filter((issue) => issue.code !== 'unrecognized_keys' && valueAt(input, issue.path) === undefined);
  if (options.missingFields === 'missing_required_fields') {
    const topLevel = missing.filter((issue) => issue.path.length === 1).map((issue) => String(issue.path[0]));
    if (topLevel.length > 0) throw apiError('missing_required_fields', undefined, { missing: topLevel });
  }
  const first = issues[0];
  if (!first) throw apiError('validation_error');
  const field = describePath(first.path);
  let what: string;
  if (missing.includes(first)) {
    what = 'field is required!';
  } else if (first.code === 'unrecognized_keys') {
    what = `unknown field${first.keys.length > 1 ? 's' : ''} ${first.keys.map((key) => `'${key}'`).join(', ')}`;
  } else {
    what = first.message;
  }
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw apiError('validation_error', field ? `error for field '${field}'. ${what}${more}` : `${what}${more}`);
}
