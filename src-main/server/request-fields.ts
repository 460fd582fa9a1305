import { z } from 'zod';

/**
 * Field types shared by the request schemas, with ClearML's coercions made safe. ClearML casts
 * integers and takes any truthy value as `true` (so `"false"` means true there). We accept
 * `true`/`false` in any case, as strings too, and 1/0; any other value is a 400/12 naming the
 * field instead of a silent `true`. Integers may come as digit strings.
 */
function coerceBoolean(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  return value;
}

function coerceInteger(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value) ? Number(value) : value;
}

export const bool = z.preprocess(coerceBoolean, z.boolean());

/** An integer (digit strings accepted), at least `min` when given. */
export function int(min?: number) {
  const base = z.number().int();
  return z.preprocess(coerceInteger, min === undefined ? base : base.min(min));
}

/** Drops keys whose value is null: clients send null for "not set" inside documents too. */
export function withoutNullKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/**
 * An embedded document with a fixed set of fields (a task's `script`, `execution`, ...): an
 * unknown field is refused with 400/12, as ClearML's schema does, instead of being dropped.
 */
export function subDocument<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(withoutNullKeys, z.strictObject(shape));
}
