import type { Origin } from '../errors.js';
import type { ConfigLayer, ConfigValue } from '../tree.js';
import { HoconParser } from './parse.js';
import { resolveDocument, resolveStandaloneValue } from './resolve.js';

export interface HoconReadOptions {
  /** Absolute path of the document (includes are relative to its folder). */
  file: string;
  env: Record<string, string | undefined>;
  /** Text of another file (for `include`), or null when it does not exist. */
  readFile(path: string): string | null;
  describe(origin: Origin): string;
}

/** Parses and resolves one HOCON document into a plain tree plus the line of every key. */
export function readHoconDocument(text: string, options: HoconReadOptions): ConfigLayer {
  const parser = new HoconParser(text, options.file, {
    readFile: options.readFile,
    describe: options.describe,
    includeStack: [options.file],
  });
  return resolveDocument(parser.parseDocument(), options);
}

/**
 * Parses one value as HOCON (`true`, `3`, `["a","b"]`, `http://h:8008`), the way a
 * `CLEARML_AGENT__...` variable's value is read. `source` names it in errors.
 */
export function readHoconValue(
  text: string,
  options: { source: string; env: Record<string, string | undefined>; describe(origin: Origin): string },
): ConfigValue | undefined {
  const parser = new HoconParser(text, options.source, {
    readFile: () => null,
    describe: options.describe,
    includeStack: [options.source],
  });
  const node = parser.parseStandaloneValue();
  return resolveStandaloneValue(node, { kind: 'file', file: options.source, line: 1 }, options);
}
