import type { Origin } from '../errors.js';
import type { ConfigScalar } from '../tree.js';

/**
 * The parsed, not yet resolved, form of a HOCON document. Substitutions stay as nodes until the
 * whole document is read, because `${a.b}` may point at a key defined further down.
 */
export type HoconNode = ObjectNode | ListNode | ScalarNode | ConcatNode | SubstitutionNode | MergeNode | AppendNode;

export interface ObjectNode {
  kind: 'object';
  fields: Map<string, HoconNode>;
  /** Where each field was (last) assigned: the key's line, which is what a user looks for. */
  fieldOrigins: Map<string, Origin>;
  origin: Origin;
}

export interface ListNode {
  kind: 'list';
  items: HoconNode[];
  origin: Origin;
}

export interface ScalarNode {
  kind: 'scalar';
  value: ConfigScalar;
  origin: Origin;
}

/** Several values written side by side (`${HOME}/x`, `"a" "b"`, `{a:1} {b:2}`). */
export interface ConcatNode {
  kind: 'concat';
  parts: Array<{ node: HoconNode; leadingSpace: string }>;
  origin: Origin;
}

export interface SubstitutionNode {
  kind: 'substitution';
  /** Key path to look up (`${a."b.c"}` → ['a', 'b.c']). */
  path: string[];
  /** The text between the braces, which is also the environment variable consulted. */
  text: string;
  optional: boolean;
  origin: Origin;
  /**
   * Set when the substitution refers to the key being assigned (`path = ${path}":/x"`): the value
   * that key held before this assignment, per the HOCON self-reference rule.
   */
  selfReference?: { prior: HoconNode | undefined };
}

/** An object assigned over a value that is only known after resolution (e.g. a substitution). */
export interface MergeNode {
  kind: 'merge';
  base: HoconNode;
  over: HoconNode;
  origin: Origin;
}

/** `key += value`: the list held by key so far, plus one item. */
export interface AppendNode {
  kind: 'append';
  base: HoconNode | undefined;
  item: HoconNode;
  origin: Origin;
}

export function emptyObject(origin: Origin): ObjectNode {
  return { kind: 'object', fields: new Map(), fieldOrigins: new Map(), origin };
}

/** Object merge without mutating either side (earlier nodes may be captured by self-references). */
export function mergeObjectNodes(base: ObjectNode, over: ObjectNode): ObjectNode {
  const merged: ObjectNode = {
    kind: 'object',
    fields: new Map(base.fields),
    fieldOrigins: new Map(base.fieldOrigins),
    origin: base.origin,
  };
  for (const [key, value] of over.fields) {
    merged.fields.set(key, mergeFieldValue(merged.fields.get(key), value));
    const origin = over.fieldOrigins.get(key);
    if (origin) merged.fieldOrigins.set(key, origin);
  }
  return merged;
}

/** The value a field ends up with when `next` is assigned over `previous`. */
export function mergeFieldValue(previous: HoconNode | undefined, next: HoconNode): HoconNode {
  if (next.kind !== 'object' || previous === undefined) return next;
  if (previous.kind === 'object') return mergeObjectNodes(previous, next);
  if (previous.kind === 'substitution' || previous.kind === 'concat' || previous.kind === 'merge' || previous.kind === 'append') {
    return { kind: 'merge', base: previous, over: next, origin: next.origin };
  }
  return next;
}
