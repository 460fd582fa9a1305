import { z } from 'zod';
import { expandPath, type ExpandContext } from './expand.js';
import { splitShellWords } from './shell-words.js';

/**
 * Field schemas for clearml.conf values. They read values the way clearml-agent does (a number
 * written as a string is a number, `"yes"` is true, a single string where a list is expected is a
 * one-item list) and reject the rest with a message that says what was expected and what was found.
 * A `null` in the file means "unset": the field's default applies.
 */

export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object' && input !== null) return 'an object';
  if (typeof input === 'string') {
    const shown = input.length > 60 ? `${input.slice(0, 57)}...` : input;
    return JSON.stringify(shown.replace(/(\w+:\/\/[^/\s:@]+:)[^@\s]*@/g, '$1***@'));
  }
  return String(input);
}

type Issues = { issues: Array<{ code: 'custom'; message: string; input: unknown; path?: PropertyKey[] }> };

function reject(ctx: Issues, input: unknown, expected: string, path?: PropertyKey[]): never {
  ctx.issues.push({ code: 'custom', message: `expected ${expected}, got ${describeInput(input)}`, input, ...(path ? { path } : {}) });
  return z.NEVER;
}

/**
 * Each field's default, as clearml.conf would write it, is declared once, with the field. The
 * built-in defaults layer (defaults.ts) is read back from the schema through this map, and a key
 * absent from every layer reads its declared default: the two can never disagree.
 */
const declaredDefaults = new WeakMap<z.ZodType, () => unknown>();

/** The tree of declared defaults under `schema` (snake_case keys, values as a file writes them). */
export function fileDefaultsOf(schema: z.ZodType): unknown {
  const declared = declaredDefaults.get(schema);
  if (!declared) throw new Error('config schema: a field without a declared default (declare it with the field builders in fields.ts)');
  return declared();
}

/** Declares the default of a schema not built here (e.g. a record of entries). */
export function withFileDefault<S extends z.ZodType>(schema: S, fileDefault: unknown): S {
  declaredDefaults.set(schema, () => structuredClone(fileDefault));
  return schema;
}

// `.optional()` lets a key be absent from the file; it then reads as its declared default.
function field<T>(fileDefault: unknown, read: (input: unknown, ctx: Issues) => T) {
  const schema = z.unknown().optional().transform((input, ctx) => read(input === undefined ? structuredClone(fileDefault) : input, ctx as unknown as Issues));
  return withFileDefault(schema, fileDefault);
}

const TRUE_TEXT = /^(true|yes|y|on|1)$/i;
const FALSE_TEXT = /^(false|no|n|off|0)$/i;

function readBoolean(input: unknown): boolean | undefined {
  if (typeof input === 'boolean') return input;
  if (input === 1 || input === 0) return input === 1;
  if (typeof input === 'string' && TRUE_TEXT.test(input.trim())) return true;
  if (typeof input === 'string' && FALSE_TEXT.test(input.trim())) return false;
  return undefined;
}

export function bool(fallback: boolean) {
  return field(fallback, (input, ctx) => {
    if (input === undefined || input === null) return fallback;
    const value = readBoolean(input);
    return value === undefined ? reject(ctx, input, 'true or false') : value;
  });
}

interface NumberRules {
  integer?: boolean;
  min?: number;
  max?: number;
}

function readNumber(input: unknown, rules: NumberRules, ctx: Issues): number {
  const value = typeof input === 'string' && input.trim() !== '' ? Number(input.trim()) : input;
  const kind = rules.integer ? 'a whole number' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value)) return reject(ctx, input, kind);
  if (rules.integer && !Number.isInteger(value)) return reject(ctx, input, kind);
  if (rules.min !== undefined && value < rules.min) return reject(ctx, input, `${kind} of at least ${rules.min}`);
  if (rules.max !== undefined && value > rules.max) return reject(ctx, input, `${kind} of at most ${rules.max}`);
  return value;
}

export function num(fallback: number, rules: NumberRules = {}) {
  return field(fallback, (input, ctx) => (input === undefined || input === null ? fallback : readNumber(input, rules, ctx)));
}

/** A number where an explicit `null` means "none" (not the default). */
export function numOrNull(fallback: number | null, rules: NumberRules = {}) {
  return field(fallback, (input, ctx): number | null => {
    if (input === null || input === undefined) return null;
    return readNumber(input, rules, ctx);
  });
}

function readString(input: unknown, ctx: Issues): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  return reject(ctx, input, 'a string');
}

export function str(fallback: string) {
  return field(fallback, (input, ctx) => (input === undefined || input === null ? fallback : readString(input, ctx)));
}

/** A string where empty means unset (null). */
export function optStr() {
  return field(null, (input, ctx): string | null => {
    if (input === undefined || input === null) return null;
    const value = readString(input, ctx);
    return value === '' ? null : value;
  });
}

export function oneOf<const T extends string>(choices: readonly T[], fallback: T) {
  return field(fallback, (input, ctx): T => {
    if (input === undefined || input === null) return fallback;
    const value = typeof input === 'string' ? input.trim().toLowerCase() : input;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    return reject(ctx, input, `one of ${choices.join(', ')}`);
  });
}

/** An http(s) URL (trailing slashes dropped), or null when unset. */
export function optHttpUrl() {
  return field(null, (input, ctx): string | null => {
    if (input === undefined || input === null || input === '') return null;
    const value = readString(input, ctx).trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      return reject(ctx, input, 'an http:// or https:// URL');
    }
    return value.replace(/\/+$/, '');
  });
}

type ListSplit = 'single' | 'shell';

function readStringList(input: unknown, split: ListSplit, ctx: Issues): string[] {
  if (typeof input === 'string') {
    if (split === 'single') return input.trim() === '' ? [] : [input];
    const words = splitShellWords(input);
    return words === null ? reject(ctx, input, 'a list, or a string with balanced quotes') : words;
  }
  if (!Array.isArray(input)) return reject(ctx, input, 'a list of strings');
  return input.map((item, index) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    return reject(ctx, item, 'a string', [index]);
  });
}

/**
 * A list of strings. `split` says what a plain string means: one item ('single'), or
 * command-line words ('shell', for pip flags and docker arguments).
 */
export function strList(fallback: readonly string[], split: ListSplit = 'single') {
  return field([...fallback], (input, ctx): string[] =>
    input === undefined || input === null ? [...fallback] : readStringList(input, split, ctx),
  );
}

export function optStrList(split: ListSplit = 'single') {
  return field(null, (input, ctx): string[] | null =>
    input === undefined || input === null ? null : readStringList(input, split, ctx),
  );
}

export function path(fallback: string, context: ExpandContext) {
  return field(fallback, (input, ctx) => {
    const value = input === undefined || input === null || input === '' ? fallback : readString(input, ctx);
    return expandPath(value, context);
  });
}

/**
 * A path load.ts derives from another key when no layer sets it (agent.spool_dir under
 * agent.state_dir): its declared default is "unset", so the derivation sees it unset; `fallback`
 * only answers an empty state_dir.
 */
export function derivedPath(fallback: string, context: ExpandContext) {
  return field(null, (input, ctx) => {
    const value = input === undefined || input === null || input === '' ? fallback : readString(input, ctx);
    return expandPath(value, context);
  });
}

/** A path where empty/null means "off"; `fileDefault` is the path used when no layer sets it. */
export function optPath(context: ExpandContext, fileDefault: string | null = null) {
  return field(fileDefault, (input, ctx): string | null => {
    if (input === undefined || input === null || input === '') return null;
    return expandPath(readString(input, ctx), context);
  });
}

/** Object of string values (`environment {}`, docker mount names); numbers and booleans become text. */
export function stringRecord(hint: string, fallback: Readonly<Record<string, string>> = {}) {
  return field({ ...fallback }, (input, ctx): Record<string, string> => {
    if (input === undefined || input === null) return { ...fallback };
    if (typeof input !== 'object' || Array.isArray(input)) return reject(ctx, input, 'an object { NAME: value, ... }');
    const record: Record<string, string> = {};
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (value === null) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        record[key] = String(value);
      } else {
        reject(ctx, value, `a string, number or boolean${hint}`, [key]);
      }
    }
    return record;
  });
}

/**
 * CUDA/cuDNN version as clearml-agent keeps it: "major*10+minor" digits (`11.8` → "118",
 * `12.1.1` → "121"; `118` stays). A whole number below 20 is a major version (`12.0` reads as 12).
 */
export function cudaVersion() {
  return field(null, (input, ctx): string | null => {
    if (input === undefined || input === null || input === '') return null;
    let text: string;
    if (typeof input === 'number') text = Number.isInteger(input) && input < 20 && input > 0 ? `${input}.0` : String(input);
    else if (typeof input === 'string') text = input.trim();
    else return reject(ctx, input, 'a CUDA version such as 11.8 or 118');
    const match = /^(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec(text);
    if (!match) return reject(ctx, input, 'a CUDA version such as 11.8 or 118');
    if (match[2] === undefined) return String(Number(match[1]));
    return String(Number(match[1]) * 10 + Number(match[2]));
  });
}

/**
 * CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: false (create venvs), true (use the default interpreter),
 * or the path of the interpreter to install into.
 */
export function skipVenvInstall(context: ExpandContext) {
  return field(null, (input, ctx): boolean | string => {
    if (input === undefined || input === null || input === '') return false;
    const flag = readBoolean(input);
    if (flag !== undefined) return flag;
    return expandPath(readString(input, ctx), context);
  });
}

/** Unix permission bits written in octal (`"0600"`, `644`), or null when not given. */
export function fileMode() {
  return field(null, (input, ctx): number | null => {
    if (input === undefined || input === null || input === '') return null;
    const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : '';
    const digits = text.replace(/^0o/i, '');
    if (!/^[0-7]{1,4}$/.test(digits)) return reject(ctx, input, 'an octal file mode such as "0600" or "644"');
    return parseInt(digits, 8);
  });
}

/** Any value, kept as is (file contents may be text or a structure to serialise). */
export function anyValue(fallback: unknown = null) {
  return field(fallback, (input) => input);
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * An object of fields declared with camelCase names (what our code reads) that are looked up under
 * their snake_case names (what clearml.conf says); `fileKeys` gives the file's name where it differs.
 */
export function section<Shape extends Record<string, z.ZodType>>(
  shape: Shape,
  fileKeys: Partial<Record<keyof Shape, string>> = {},
): z.ZodType<{ [K in keyof Shape]: z.output<Shape[K]> }> {
  const keyOf = (name: string) => (fileKeys as Record<string, string | undefined>)[name] ?? snakeCase(name);
  const fileShape = Object.fromEntries(Object.entries(shape).map(([name, schema]) => [keyOf(name), schema]));
  const object = z.object(fileShape, {
    error: (issue) => (issue.code === 'invalid_type' ? `expected an object { ... }, got ${describeInput(issue.input)}` : undefined),
  });
  const schema = z
    .preprocess((input) => (input === undefined || input === null ? {} : input), object)
    .transform((parsed) => {
      const values = parsed as Record<string, unknown>;
      return Object.fromEntries(Object.keys(shape).map((name) => [name, values[keyOf(name)]]));
    });
  declaredDefaults.set(schema, () => Object.fromEntries(Object.entries(shape).map(([name, child]) => [keyOf(name), fileDefaultsOf(child)])));
  return schema as unknown as z.ZodType<{ [K in keyof Shape]: z.output<Shape[K]> }>;
}
