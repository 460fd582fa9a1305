import { apiError } from './api-error.js';

/**
 * Scroll ids for the paging reads (events.get_task_events, debug images and samples). ClearML
 * keeps scroll state in Elasticsearch; ours is carried in the id itself — a versioned,
 * base64url-encoded JSON state — so any server process can continue it and nothing expires.
 * An id we did not make is ClearML's 400/1104.
 */
const PREFIX = 'ta1.';

export function encodeScrollId(state: Record<string, unknown>): string {
  return PREFIX + Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

export function decodeScrollId<T extends Record<string, unknown>>(scrollId: string, isState: (value: unknown) => value is T): T {
  if (!scrollId.startsWith(PREFIX)) throw apiError('invalid_scroll_id', undefined, { scroll_id: scrollId.slice(0, 64) });
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(scrollId.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    state = undefined;
  }
  if (!isState(state)) throw apiError('invalid_scroll_id', undefined, { scroll_id: scrollId.slice(0, 64) });
  return state;
}
