/** Where a configuration value came from, so an error can point the user at it. */
export type Origin =
  | { kind: 'file'; file: string; line: number }
  | { kind: 'env'; variable: string }
  | { kind: 'layer'; name: string };

export interface ConfigErrorDetails {
  /** Absolute path of the file that holds the bad value or text. */
  file?: string;
  line?: number;
  /** Dotted key, as written in clearml.conf (snake_case). */
  key?: string;
  /** Environment variable that supplied the bad value. */
  variable?: string;
}

/**
 * A configuration problem the user has to fix: a missing or unreadable file, bad HOCON, or a
 * value of the wrong type. The message already names the file, line, key and what is expected.
 */
export class ConfigError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly key?: string;
  readonly variable?: string;

  constructor(message: string, details: ConfigErrorDetails = {}) {
    super(message);
    this.name = 'ConfigError';
    this.file = details.file;
    this.line = details.line;
    this.key = details.key;
    this.variable = details.variable;
  }
}

/** `/home/u/clearml.conf` → `~/clearml.conf`: shorter, and what users recognise. */
export function displayPath(file: string, homeDir: string | undefined): string {
  if (!homeDir) return file;
  const home = homeDir.endsWith('/') ? homeDir.slice(0, -1) : homeDir;
  if (home && (file === home || file.startsWith(`${home}/`))) return `~${file.slice(home.length)}`;
  return file;
}

/** Human wording of an origin: `~/clearml.conf line 12`, `environment variable CLEARML_API_HOST`. */
export function describeOrigin(origin: Origin, homeDir: string | undefined): string {
  switch (origin.kind) {
    case 'file':
      return `${displayPath(origin.file, homeDir)} line ${origin.line}`;
    case 'env':
      return `environment variable ${origin.variable}`;
    case 'layer':
      return origin.name;
  }
}

export function originDetails(origin: Origin | undefined): ConfigErrorDetails {
  if (!origin) return {};
  if (origin.kind === 'file') return { file: origin.file, line: origin.line };
  if (origin.kind === 'env') return { variable: origin.variable };
  return {};
}
