import type { ApiError } from './api-error.js';

/** What the envelope says about the call itself (meta.id/trx/endpoint). */
export interface CallMeta {
  id: string;
  trx: string;
  endpointName: string;
  requestedVersion: string;
  actualVersion: string;
}

export interface Envelope {
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
  data: Record<string, unknown>;
}

function metaOf(call: CallMeta): Pick<Envelope['meta'], 'id' | 'trx' | 'endpoint'> {
  return {
    id: call.id,
    trx: call.trx,
    endpoint: { name: call.endpointName, requested_version: call.requestedVersion, actual_version: call.actualVersion },
  };
}

export function successEnvelope(call: CallMeta, data: Record<string, unknown>): Envelope {
  return {
    meta: { ...metaOf(call), result_code: 200, result_subcode: 0, result_msg: 'OK', error_stack: '', error_data: {} },
    data,
  };
}

/** `stack` only for server faults (500), as ClearML returns tracebacks only there. */
export function errorEnvelope(call: CallMeta, error: ApiError, stack: string | null = null): Envelope {
  return {
    meta: {
      ...metaOf(call),
      result_code: error.code,
      result_subcode: error.subcode,
      result_msg: error.message,
      error_stack: stack,
      error_data: {},
    },
    data: {},
  };
}
