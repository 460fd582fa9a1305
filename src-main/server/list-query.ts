import { z } from 'zod';
import { bool, int } from './request-fields.js';
import { apiError } from './http/api-error.js';
import type { JsonObject } from './http/request-params.js';

/**
 * The list conventions every `get_all` shares (§1.8): regex name filters, tag lists with
 * `-excluded` entries, `only_fields` projection, `order_by`, `page`/`page_size`.
 */
export const MAX_PAGE_SIZE = 500;

const stringOrList = z.union([z.string(), z.array(z.string())]).transform((value) => (typeof value === 'string' ? [value] : value));

export const listQueryFields = {
  only_fields: z.array(z.string()).optional(),
  order_by: stringOrList.optional(),
  page: int(0).optional(),
  page_size: int(1).optional(),
  search_hidden: bool.optional(),
};

export const idFilter = stringOrList.optional();
export const stringListFilter = stringOrList.optional();

/**
 * A Python-style regex as clients send it (`re.escape(name)`), searched anywhere in the
 * value, case-insensitively. A leading `(?i)` is accepted. Bad patterns → 400/21.
 */
export function compileNameRegex(pattern: string): RegExp {
  const source = pattern.startsWith('(?i)') ? pattern.slice(4) : pattern;
  try {
    return new RegExp(source, 'i');
  } catch (error) {
    throw apiError('invalid_regex_error', (error as Error).message, { pattern });
  }
}

/**
 * ClearML tag filters: plain entries match when any is present, `-tag` entries exclude,
 * `__$all` switches the following entries to all-must-match, `__$any` back, `__$not` negates
 * the next entry.
 */
export function matchesTagFilter(values: readonly string[] | undefined, filter: readonly string[]): boolean {
  const present = new Set(values ?? []);
  let mode: 'any' | 'all' = 'any';
  let negateNext = false;
  const anyOf: string[] = [];
  const allOf: string[] = [];
  for (const token of filter) {
    if (token === '__$all' || token === '__$any') {
      mode = token === '__$all' ? 'all' : 'any';
      continue;
    }
    if (token === '__$not') {
      negateNext = true;
      continue;
    }
    const excluded = negateNext || token.startsWith('-');
    const tag = token.startsWith('-') ? token.slice(1) : token;
    negateNext = false;
    if (excluded) {
      if (present.has(tag)) return false;
    } else if (mode === 'all') {
      allOf.push(tag);
    } else {
      anyOf.push(tag);
    }
  }
  if (allOf.some((tag) => !present.has(tag))) return false;
  return anyOf.length === 0 || anyOf.some((tag) => present.has(tag));
}

/** Values of a list filter whose entries may be `-excluded`. */
export function matchesValueFilter(value: unknown, filter: readonly string[]): boolean {
  const included = filter.filter((entry) => !entry.startsWith('-'));
  const excluded = filter.filter((entry) => entry.startsWith('-')).map((entry) => entry.slice(1));
  const text = value === undefined || value === null ? null : String(value);
  if (text !== null && excluded.includes(text)) return false;
  return included.length === 0 || (text !== null && included.includes(text));
}

/** The filters every `get_all` shares (fields of its request). */
export interface CommonListFilters {
  readonly id?: readonly string[];
  readonly name?: string;
  readonly tags?: readonly string[];
  readonly system_tags?: readonly string[];
  readonly search_text?: string;
}

interface ListedDoc {
  readonly id: string;
  readonly name: string;
  readonly tags?: readonly string[];
  readonly system_tags?: readonly string[];
}

export interface ListFilterOptions<T> {
  /** Value filters by the document field they test (`user`, `project`, `status`, ...), `-excluded` entries allowed. */
  readonly values?: { readonly [K in keyof T & string]?: readonly string[] | undefined };
  /** The text `search_text` is looked for in (case-insensitively); without it search_text is ignored. */
  readonly searchIn?: (doc: T) => string;
}

/**
 * The shared part of a `get_all` filter: ids, the name regex (compiled now, so a bad pattern
 * fails the call before anything is read), value and tag filters, free text. Each service adds
 * its own rules (hidden documents, dotted filters) around it.
 */
export function listFilter<T extends ListedDoc>(request: CommonListFilters, options: ListFilterOptions<T> = {}): (doc: T) => boolean {
  const nameRegex = request.name !== undefined ? compileNameRegex(request.name) : undefined;
  const searchText = options.searchIn ? request.search_text?.toLowerCase() : undefined;
  const values = Object.entries(options.values ?? {}).filter((entry): entry is [string, readonly string[]] => Boolean(entry[1]));
  return (doc) => {
    if (request.id && !request.id.includes(doc.id)) return false;
    if (nameRegex && !nameRegex.test(doc.name)) return false;
    for (const [field, filter] of values) if (!matchesValueFilter((doc as Record<string, unknown>)[field], filter)) return false;
    if (request.tags && !matchesTagFilter(doc.tags, request.tags)) return false;
    if (request.system_tags && !matchesTagFilter(doc.system_tags, request.system_tags)) return false;
    if (searchText && options.searchIn && !options.searchIn(doc).toLowerCase().includes(searchText)) return false;
    return true;
  };
}

export function getPath(doc: unknown, dotted: string): unknown {
  let current: unknown = doc;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as JsonObject)[part];
  }
  return current;
}

function setPath(target: JsonObject, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let current = target;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(current, part) ? current[part] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: JsonObject = {};
      Object.defineProperty(current, part, { value: created, enumerable: true, writable: true, configurable: true });
      current = created;
    } else {
      current = next as JsonObject;
    }
  }
  Object.defineProperty(current, parts[parts.length - 1] as string, { value, enumerable: true, writable: true, configurable: true });
}

function deletePath(target: JsonObject, dotted: string): void {
  const parts = dotted.split('.');
  const parent = parts.length === 1 ? target : getPath(target, parts.slice(0, -1).join('.'));
  if (parent !== null && typeof parent === 'object') delete (parent as JsonObject)[parts[parts.length - 1] as string];
}

/** `only_fields` projection (dotted paths; `id` always kept; `-field` entries exclude). */
export function projectFields<T extends JsonObject>(doc: T, onlyFields: readonly string[] | undefined): JsonObject {
  if (!onlyFields || onlyFields.length === 0) return doc;
  const excluded = onlyFields.filter((field) => field.startsWith('-'));
  const included = onlyFields.filter((field) => !field.startsWith('-'));
  if (included.length === 0) {
    const copy = structuredClone(doc) as JsonObject;
    for (const field of excluded) if (field.slice(1) !== 'id') deletePath(copy, field.slice(1));
    return copy;
  }
  const result: JsonObject = { id: doc.id };
  for (const field of included) {
    const value = getPath(doc, field);
    if (value !== undefined) setPath(result, field, value);
  }
  return result;
}

function compareValues(a: unknown, b: unknown): number {
  const aMissing = a === undefined || a === null;
  const bMissing = b === undefined || b === null;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const aText = typeof a === 'string' ? a : JSON.stringify(a);
  const bText = typeof b === 'string' ? b : JSON.stringify(b);
  return aText < bText ? -1 : aText > bText ? 1 : 0;
}

/** `order_by: ["-last_update", "name"]`; stable, so ties keep insertion order. */
export function sortDocs<T>(docs: T[], orderBy: readonly string[] | undefined): T[] {
  const keys = (orderBy ?? []).filter((key) => key.replace(/^[-+]/, '') !== '');
  if (keys.length === 0) return docs;
  const specs = keys.map((key) => ({ path: key.replace(/^[-+]/, ''), direction: key.startsWith('-') ? -1 : 1 }));
  return [...docs].sort((a, b) => {
    for (const { path, direction } of specs) {
      const order = compareValues(getPath(a, path), getPath(b, path));
      if (order !== 0) return order * direction;
    }
    return 0;
  });
}

export function paginate<T>(docs: T[], page: number | undefined, pageSize: number | undefined): T[] {
  if (page === undefined && pageSize === undefined) return docs;
  const size = Math.min(pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const start = (page ?? 0) * size;
  return docs.slice(start, start + size);
}
