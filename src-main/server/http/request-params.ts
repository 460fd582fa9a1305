/**
 * Query-string parameters merged into the JSON body the way ClearML's server does it:
 * `a.b=1` nests, `k[]=x` or a repeated key makes a list, digit strings become numbers and
 * true/false (any case) become booleans. `auth.login?expiration_sec=N` relies on this.
 */
export type JsonObject = Record<string, unknown>;

const integerPattern = /^-?\d+$/;
const floatPattern = /^-?\d+\.\d+$/;

function coerceScalar(value: string): unknown {
  if (integerPattern.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (floatPattern.test(value)) return Number(value);
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return value;
}

/** Sets an own property even for keys like `__proto__`, so input can never reach a prototype. */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function childObject(target: JsonObject, key: string): JsonObject {
  const existing = Object.hasOwn(target, key) ? target[key] : undefined;
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) return existing as JsonObject;
  const created: JsonObject = {};
  setOwn(target, key, created);
  return created;
}

export function queryParamsToObject(params: URLSearchParams): JsonObject {
  const grouped = new Map<string, { values: unknown[]; list: boolean }>();
  for (const [rawKey, rawValue] of params) {
    const list = rawKey.endsWith('[]');
    const key = list ? rawKey.slice(0, -2) : rawKey;
    if (!key) continue;
    const entry = grouped.get(key) ?? { values: [], list: false };
    entry.values.push(coerceScalar(rawValue));
    entry.list ||= list;
    grouped.set(key, entry);
  }
  const result: JsonObject = {};
  for (const [key, { values, list }] of grouped) {
    const value = list || values.length > 1 ? values : values[0];
    const path = key.split('.').filter((part) => part.length > 0);
    if (path.length === 0) continue;
    let target = result;
    for (const part of path.slice(0, -1)) target = childObject(target, part);
    setOwn(target, path[path.length - 1] as string, value);
  }
  return result;
}

/** The body with the query parameters laid over it (parameters win, as on the real server). */
export function mergeParams(body: JsonObject, params: JsonObject): JsonObject {
  const merged: JsonObject = { ...body };
  for (const [key, value] of Object.entries(params)) setOwn(merged, key, value);
  return merged;
}
