import type { z } from 'zod';
import { fileDefaultsOf } from './fields.js';
import { agentConfigSchema } from './schema.js';
import type { ConfigTree } from './tree.js';

/**
 * What you get with no clearml.conf: the defaults each field of the schema declares (schema.ts is
 * the one place they are written), as a snake_case tree — the lowest layer of every load, and what
 * `config` prints for keys no file sets. Read once per schema (a daemon reloads its configuration
 * every pass); each call hands out its own copy, as a layer may be changed by its reader.
 */
const treeBySchema = new WeakMap<z.ZodType, ConfigTree>();

export function defaultsTreeOf(schema: z.ZodType): ConfigTree {
  let tree = treeBySchema.get(schema);
  if (!tree) {
    tree = fileDefaultsOf(schema) as ConfigTree;
    treeBySchema.set(schema, tree);
  }
  return structuredClone(tree);
}

// The schema's paths expand when a value is read, so the context given here is never used.
let defaultSchema: z.ZodType | null = null;

export function builtInDefaults(): ConfigTree {
  defaultSchema ??= agentConfigSchema({ homeDir: '~', env: {} });
  return defaultsTreeOf(defaultSchema);
}
