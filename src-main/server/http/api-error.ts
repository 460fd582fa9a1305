/**
 * ClearML's error catalogue (code/subcode and default text, as clients and users know them)
 * and the one error type every handler throws. The envelope writer turns it into
 * `meta.result_code/result_subcode/result_msg`.
 */
const catalogue = {
  invalid_request_path: [400, 0, 'invalid request path'],
  bad_request: [400, 0, 'bad request'],
  unauthorized: [401, 0, 'unauthorized'],
  not_found: [404, 0, 'not found'],
  invalid_headers: [400, 5, 'invalid headers'],
  missing_required_fields: [400, 11, 'missing required fields'],
  validation_error: [400, 12, 'validation error'],
  batch_contains_no_items: [400, 17, 'batch request contains no items'],
  batch_validation_error: [400, 18, 'batch request validation error'],
  invalid_regex_error: [400, 21, 'malformed regular expression'],
  invalid_task_id: [400, 101, 'invalid task id'],
  invalid_task_status: [400, 110, 'invalid task status'],
  failed_changing_task_status: [400, 121, 'failed changing task status. probably someone changed it before you'],
  missing_task_fields: [400, 122, 'task is missing expected fields'],
  task_cannot_be_deleted: [400, 123, 'task cannot be deleted'],
  events_not_added: [400, 131, 'events not added'],
  invalid_model_id: [400, 201, 'invalid model id'],
  model_not_ready: [400, 202, 'model is not ready'],
  model_is_ready: [400, 203, 'model is ready'],
  model_in_use: [400, 205, 'model is used by tasks'],
  model_creating_task_exists: [400, 206, 'task that created this model exists'],
  invalid_project_id: [400, 401, 'invalid project id'],
  invalid_queue_id: [400, 701, 'invalid queue id'],
  queue_not_empty: [400, 702, 'queue is not empty'],
  invalid_queue_or_task_not_queued: [400, 703, 'invalid queue id or task not in queue'],
  removed_during_reposition: [400, 704, 'task was removed by another party during reposition'],
  task_already_queued: [400, 706, 'failed adding task to queue since task is already queued'],
  no_default_queue: [400, 707, 'no queue is tagged as the default queue for this company'],
  multiple_default_queues: [400, 708, 'more than one queue is tagged as the default queue for this company'],
  data_validation_error: [400, 800, 'data validation error'],
  expected_unique_data: [400, 801, 'value combination already exists'],
  invalid_worker_id: [400, 1001, 'invalid worker id'],
  worker_registration_failed: [400, 1002, 'worker registration failed'],
  invalid_scroll_id: [400, 1104, 'Invalid scroll id'],
  bad_auth_type: [401, 10, 'unauthorized (bad authentication header type)'],
  no_credentials: [401, 20, 'unauthorized (missing credentials)'],
  bad_credentials: [401, 21, 'unauthorized (malformed credentials)'],
  invalid_credentials: [401, 22, 'unauthorized (invalid credentials)'],
  invalid_token: [401, 30, 'invalid token'],
  blocked_token: [401, 31, 'token is blocked'],
  endpoint_not_found: [404, 0, 'not found'],
  payload_too_large: [413, 0, 'request entity too large'],
  unsupported_media_type: [415, 0, 'unsupported media type'],
  general_error: [500, 0, 'general server error'],
} as const satisfies Record<string, readonly [number, number, string]>;

export type ApiErrorName = keyof typeof catalogue;

export class ApiError extends Error {
  readonly code: number;
  readonly subcode: number;

  constructor(code: number, subcode: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.subcode = subcode;
  }
}

type FieldValue = string | number | boolean | null | undefined | readonly (string | number)[];

/**
 * Builds the error of `name` with ClearML's message layout:
 * `<default text> (<extra>): key=value, key2=(a, b)`.
 */
export function apiError(name: ApiErrorName, extra?: string, fields?: Record<string, FieldValue>): ApiError {
  const [code, subcode, text] = catalogue[name];
  let message: string = text;
  if (extra) message += ` (${extra})`;
  const parts = Object.entries(fields ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `(${value.join(', ')})` : String(value)}`);
  if (parts.length) message += `: ${parts.join(', ')}`;
  return new ApiError(code, subcode, message);
}
