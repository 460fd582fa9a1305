import type { Origin } from './errors.js';

/** A parsed configuration value: what HOCON (and JSON) can express after substitution. */
export type ConfigScalar = string | number | boolean | null;
export type ConfigValue = ConfigScalar | ConfigValue[] | ConfigTree;
export interface ConfigTree {
  [key: string]: ConfigValue;
}

/** Key path → where its value was set. Keys are `pathKey(path)`. */
export type OriginMap = Map<string, Origin>;

/** One layer of configuration: a tree plus where each of its keys came from. */
export interface ConfigLayer {
  tree: ConfigTree;
  origins: OriginMap;
}

export function isConfigTree(value: unknown): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Joins a key path into a map key; NUL cannot appear in a HOCON key, so paths never collide. */
export function pathKey(path: readonly (string | number)[]): string {
  return path.join('\u0000');
}

/** The way users write a key path: `agent.venvs_cache.path`, quoting segments that hold dots. */
export function dottedKey(path: readonly (string | number)[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const text = /^[A-Za-z0-9_\-/]+$/.test(segment) ? segment : JSON.stringify(segment);
      return index === 0 ? text : `.${text}`;
    })
    .join('');
}

/** The origin of a key, or of its closest ancestor that has one (list items, substituted objects). */
export function findOrigin(origins: OriginMap, path: readonly (string | number)[]): Origin | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const origin = origins.get(pathKey(path.slice(0, length)));
    if (origin) return origin;
  }
  return undefined;
}

export function getPath(tree: ConfigTree, path: readonly string[]): ConfigValue | undefined {
  let current: ConfigValue | undefined = tree;
  for (const segment of path) {
    if (!isConfigTree(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets a value, creating (or replacing non-object) intermediate objects on the way. */
export function setPath(tree: ConfigTree, path: readonly string[], value: ConfigValue): void {
  let current = tree;
  path.slice(0, -1).forEach((segment) => {
    const next = current[segment];
    if (isConfigTree(next)) {
      current = next;
    } else {
      const created: ConfigTree = {};
      current[segment] = created;
      current = created;
    }
  });
  const last = path[path.length - 1];
  if (last !== undefined) current[last] = value;
}

export function cloneValue<T extends ConfigValue>(value: T): T {
  return structuredClone(value);
}

/** HOCON object merge: objects merge key by key, anything else is replaced by the later value. */
export function mergeTrees(base: ConfigTree, over: ConfigTree): ConfigTree {
  const merged: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = merged[key];
    merged[key] = isConfigTree(previous) && isConfigTree(value) ? mergeTrees(previous, value) : cloneValue(value);
  }
  return merged;
}

/** Merges layers in order (later wins) into one tree with one origin map. */
export function mergeLayers(layers: readonly ConfigLayer[]): ConfigLayer {
  let tree: ConfigTree = {};
  const origins: OriginMap = new Map();
  for (const layer of layers) {
    tree = mergeTrees(tree, layer.tree);
    for (const [key, origin] of layer.origins) origins.set(key, origin);
  }
  return { tree, origins };
}
