import { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * The `{meta, data}` envelope every ClearML answer carries (reference §1.4). Only the fields we
 * read are checked; unknown ones pass through, and a server that leaves out optional meta
 * fields is still understood.
 */
const envelopeSchema = z.looseObject({
  meta: z.looseObject({
    result_code: z.number().int(),
    result_subcode: z.number().int().nullish(),
    result_msg: z.string().nullish(),
    endpoint: z.looseObject({ name: z.string().nullish() }).nullish(),
  }),
  data: z.unknown().optional(),
});

export interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

/** What a call returned on success: the `data` object (`{}` when the server sent none). */
export type EnvelopeData = Record<string, unknown>;

/**
 * Turns one HTTP answer into the call's `data`, or an ApiError carrying the HTTP status, the
 * envelope's result code/subcode and message. A body that is not an envelope (a proxy's HTML
 * page, Flask's plain-text 500) becomes an error with the HTTP status as its result code.
 */
export function parseEnvelope(answer: HttpAnswer, endpoint: string): EnvelopeData {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    throw syntheticError(answer, endpoint);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw syntheticError(answer, endpoint);
  const { meta, data } = parsed.data;
  const resultCode = meta.result_code;
  const ok = answer.status >= 200 && answer.status < 300 && resultCode >= 200 && resultCode < 300;
  if (!ok) {
    const code = resultCode >= 200 && resultCode < 300 ? answer.status : resultCode;
    throw new ApiError({
      kind: 'http',
      httpCode: answer.status,
      resultCode: code,
      resultSubcode: meta.result_subcode ?? 0,
      message: `${endpoint} failed: ${meta.result_msg || `HTTP ${answer.status}`} (${code}/${meta.result_subcode ?? 0})`,
      endpoint,
    });
  }
  if (data === undefined || data === null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ApiError({
      kind: 'response',
      httpCode: answer.status,
      resultCode,
      resultSubcode: 0,
      message: `${endpoint} answered with data that is not an object`,
      endpoint,
    });
  }
  return data as EnvelopeData;
}

function syntheticError(answer: HttpAnswer, endpoint: string): ApiError {
  const excerpt = answer.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const what = answer.status >= 200 && answer.status < 300 ? 'a body that is not a ClearML response' : `HTTP ${answer.status}`;
  return new ApiError({
    kind: 'http',
    httpCode: answer.status,
    resultCode: answer.status,
    resultSubcode: 0,
    message: `${endpoint} failed: ${what}${excerpt ? `: ${excerpt}` : ''} (is api.api_server pointing at a ClearML API server?)`,
    endpoint,
  });
}
