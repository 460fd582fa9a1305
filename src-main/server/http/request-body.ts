import type { IncomingMessage } from 'node:http';
import { apiError } from './api-error.js';
import type { JsonObject } from './request-params.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** ClearML compares the content type as an exact string; so do we. */
export const JSON_LINES_CONTENT_TYPE = 'application/json-lines';

/** Reads the whole request body, refusing (413) once it grows past `maxBytes`. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(apiError('payload_too_large', `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        settled = true;
        reject(apiError('payload_too_large', `body exceeds the ${maxBytes}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}

/**
 * A plain JSON body: any content type, empty (or `null`) means `{}`. Text that is not JSON, or
 * JSON that is not an object, is ClearML's 400/0: the call cannot even be read.
 */
export function parseJsonBody(raw: Buffer): JsonObject {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw apiError('bad_request', `malformed JSON body: ${(error as Error).message}; send one JSON object`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw apiError('bad_request', 'the request body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** A json-lines batch: one JSON value per non-empty line; a broken line fails the batch. */
export function parseJsonLinesBody(raw: Buffer): unknown[] {
  const items: unknown[] = [];
  const lines = raw.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      items.push(JSON.parse(line));
    } catch (error) {
      throw apiError('batch_validation_error', `line ${index + 1} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return items;
}
