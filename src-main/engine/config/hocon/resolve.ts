import { ConfigError, originDetails, type Origin } from '../errors.js';
import { dottedKey, isConfigTree, mergeTrees, pathKey, type ConfigLayer, type ConfigTree, type ConfigValue, type OriginMap } from '../tree.js';
import type { HoconNode, ObjectNode, SubstitutionNode } from './ast.js';

export interface ResolveOptions {
  /** Consulted for `${NAME}` / `${?NAME}` when the configuration has no such key (as pyhocon does). */
  env: Record<string, string | undefined>;
  describe(origin: Origin): string;
}

/** Turns a parsed document into plain values, resolving every substitution; records key origins. */
export function resolveDocument(root: ObjectNode, options: ResolveOptions): ConfigLayer {
  const resolver = new Resolver(root, options);
  const value = resolver.resolve(root, []);
  const tree = structuredClone(isConfigTree(value) ? value : {});
  const origins: OriginMap = new Map();
  collectOrigins(root, [], origins);
  return { tree, origins };
}

/** Resolves one standalone value (no surrounding document: substitutions see only the environment). */
export function resolveStandaloneValue(node: HoconNode, rootOrigin: Origin, options: ResolveOptions): ConfigValue | undefined {
  const emptyRoot: ObjectNode = { kind: 'object', fields: new Map(), fieldOrigins: new Map(), origin: rootOrigin };
  const value = new Resolver(emptyRoot, options).resolve(node, []);
  return value === undefined ? undefined : structuredClone(value);
}

function collectOrigins(node: ObjectNode, path: string[], origins: OriginMap): void {
  for (const [key, child] of node.fields) {
    const childPath = [...path, key];
    origins.set(pathKey(childPath), node.fieldOrigins.get(key) ?? child.origin);
    if (child.kind === 'object') collectOrigins(child, childPath, origins);
    else if (child.kind === 'merge' && child.over.kind === 'object') collectOrigins(child.over, childPath, origins);
  }
}

function describeType(value: ConfigValue): string {
  if (Array.isArray(value)) return 'a list';
  if (isConfigTree(value)) return 'an object';
  return `the value ${JSON.stringify(value)}`;
}

class Resolver {
  private readonly memo = new Map<HoconNode, ConfigValue | undefined>();
  private readonly active = new Set<HoconNode>();

  constructor(
    private readonly root: ObjectNode,
    private readonly options: ResolveOptions,
  ) {}

  /** The node's value; undefined when it is an optional substitution with nothing to substitute. */
  resolve(node: HoconNode, keyPath: string[]): ConfigValue | undefined {
    if (this.memo.has(node)) return this.memo.get(node);
    if (this.active.has(node)) {
      this.fail(node.origin, keyPath, 'substitution cycle: this value ends up referring to itself');
    }
    this.active.add(node);
    try {
      const value = this.compute(node, keyPath);
      this.memo.set(node, value);
      return value;
    } finally {
      this.active.delete(node);
    }
  }

  private compute(node: HoconNode, keyPath: string[]): ConfigValue | undefined {
    switch (node.kind) {
      case 'scalar':
        return node.value;
      case 'object': {
        const tree: ConfigTree = {};
        for (const [key, child] of node.fields) {
          const value = this.resolve(child, [...keyPath, key]);
          if (value !== undefined) tree[key] = value;
        }
        return tree;
      }
      case 'list':
        return node.items
          .map((item) => this.resolve(item, keyPath))
          .filter((value): value is ConfigValue => value !== undefined);
      case 'substitution':
        return this.substitute(node, keyPath);
      case 'concat':
        return this.concatenate(node.parts, node.origin, keyPath);
      case 'merge': {
        const base = this.resolve(node.base, keyPath);
        const over = this.resolve(node.over, keyPath);
        if (isConfigTree(base) && isConfigTree(over)) return mergeTrees(base, over);
        return over === undefined ? base : over;
      }
      case 'append': {
        const base = node.base ? this.resolve(node.base, keyPath) : undefined;
        const item = this.resolve(node.item, keyPath);
        if (base === undefined || base === null) return item === undefined ? [] : [item];
        if (!Array.isArray(base)) {
          this.fail(node.origin, keyPath, `"+=" appends to a list, but the key holds ${describeType(base)}`);
        }
        return item === undefined ? base : [...base, item];
      }
    }
  }

  private substitute(node: SubstitutionNode, keyPath: string[]): ConfigValue | undefined {
    let value: ConfigValue | undefined;
    if (node.selfReference) {
      const prior = node.selfReference.prior;
      value = prior ? this.resolve(prior, keyPath) : undefined;
    } else {
      value = this.lookup(node.path);
    }
    if (value === undefined) value = this.options.env[node.text];
    if (value === undefined && !node.optional) {
      this.fail(
        node.origin,
        keyPath,
        `cannot resolve \${${node.text}}: no key ${dottedKey(node.path)} in this file and no environment variable ` +
          `${node.text}; define one, or write \${?${node.text}} to make it optional`,
      );
    }
    return value;
  }

  private lookup(path: string[]): ConfigValue | undefined {
    let node: HoconNode = this.root;
    for (let index = 0; index < path.length; index += 1) {
      const segment = path[index] as string;
      if (node.kind !== 'object') {
        let value = this.resolve(node, path.slice(0, index));
        for (const rest of path.slice(index)) {
          if (!isConfigTree(value)) return undefined;
          value = value[rest];
        }
        return value;
      }
      const child = node.fields.get(segment);
      if (child === undefined) return undefined;
      node = child;
    }
    return this.resolve(node, path);
  }

  private concatenate(
    parts: Array<{ node: HoconNode; leadingSpace: string }>,
    origin: Origin,
    keyPath: string[],
  ): ConfigValue | undefined {
    const values: Array<{ value: ConfigValue; space: string }> = [];
    for (const part of parts) {
      const value = this.resolve(part.node, keyPath);
      if (value !== undefined) values.push({ value, space: values.length ? part.leadingSpace : '' });
    }
    if (values.length === 0) return undefined;
    if (values.length === 1) return (values[0] as { value: ConfigValue }).value;
    if (values.every(({ value }) => isConfigTree(value))) {
      return values.reduce<ConfigTree>((merged, { value }) => mergeTrees(merged, value as ConfigTree), {});
    }
    if (values.every(({ value }) => Array.isArray(value))) {
      return values.flatMap(({ value }) => value as ConfigValue[]);
    }
    if (values.every(({ value }) => !Array.isArray(value) && !isConfigTree(value))) {
      return values.map(({ value, space }) => `${space}${String(value)}`).join('');
    }
    this.fail(origin, keyPath, `cannot join ${values.map(({ value }) => describeType(value)).join(' and ')} into one value`);
  }

  private fail(origin: Origin, keyPath: string[], detail: string): never {
    const key = keyPath.length ? dottedKey(keyPath) : undefined;
    throw new ConfigError(`${key ? `${key}: ` : ''}${detail} (${this.options.describe(origin)})`, {
      ...originDetails(origin),
      key,
    });
  }
}
