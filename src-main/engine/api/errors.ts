/**
 * One error type for everything a ClearML API call can end in, so callers branch on fields
 * (`httpCode`, `resultCode`/`resultSubcode` from the envelope) instead of on error classes.
 *
 * `kind` says where it failed: `http` = the server answered with an error envelope (or a
 * non-JSON body, then `resultCode` = `httpCode`); `network` = no answer (refused, reset, DNS);
 * `timeout` = no answer within the per-request limit; `response` = the server answered 200 but
 * the data did not have the shape we read; `cancelled` = the caller's AbortSignal fired.
 */
export type ApiErrorKind = 'http' | 'network' | 'timeout' | 'response' | 'cancelled';

export interface ApiErrorFields {
  kind: ApiErrorKind;
  httpCode: number;
  resultCode: number;
  resultSubcode: number;
  message: string;
  endpoint: string;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** HTTP status of the answer; 0 when there was none (network, timeout). */
  readonly httpCode: number;
  readonly resultCode: number;
  readonly resultSubcode: number;
  /** `service.action`, e.g. `tasks.started`. */
  readonly endpoint: string;

  constructor(fields: ApiErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ApiError';
    this.kind = fields.kind;
    this.httpCode = fields.httpCode;
    this.resultCode = fields.resultCode;
    this.resultSubcode = fields.resultSubcode;
    this.endpoint = fields.endpoint;
  }

  /** True for the server's `<code>/<subcode>` pair, e.g. `is(400, 101)` = invalid task id. */
  is(resultCode: number, resultSubcode?: number): boolean {
    return this.resultCode === resultCode && (resultSubcode === undefined || this.resultSubcode === resultSubcode);
  }
}

/** Result codes/subcodes of the ClearML server that callers test for (reference §1.5). */
export const ApiErrorCodes = {
  invalidTaskId: [400, 101],
  invalidTaskStatus: [400, 110],
  eventsNotAdded: [400, 131],
  invalidQueueId: [400, 701],
  taskAlreadyQueued: [400, 706],
  noDefaultQueue: [400, 707],
  multipleDefaultQueues: [400, 708],
  invalidToken: [401, 30],
} as const satisfies Record<string, readonly [number, number]>;

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
