import { ApiError } from './http/api-error.js';
import type { JsonObject } from './http/request-params.js';

/**
 * ClearML's `*_many` answer (bll/util run_batch_operation): each id runs on its own; the
 * answer lists `succeeded: [{id, ...result}]` and `failed: [{id, error: {codes, msg, data}}]`.
 * Errors other than API errors are server faults and propagate.
 */
export function runBatchOperation(ids: readonly string[], run: (id: string) => JsonObject): JsonObject {
  const succeeded: JsonObject[] = [];
  const failed: JsonObject[] = [];
  for (const id of ids) {
    try {
      succeeded.push({ id, ...run(id) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failed.push({ id, error: { codes: [error.code, error.subcode], msg: error.message, data: {} } });
    }
  }
  return { succeeded, failed };
}
