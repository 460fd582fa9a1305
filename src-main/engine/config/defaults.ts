import { fileDefaultsOf } from './fields.js';
import { agentConfigSchema } from './schema.js';
import type { ConfigTree } from './tree.js';

/**
 * What you get with no clearml.conf: the defaults each field of the schema declares (schema.ts is
 * the one place they are written), as a snake_case tree — the lowest layer of every load, and what
 * `config` prints for keys no file sets. The schema's paths expand when a value is read, so the
 * context given here is never used.
 */
export function builtInDefaults(): ConfigTree {
  return fileDefaultsOf(agentConfigSchema({ homeDir: '~', env: {} })) as ConfigTree;
}
