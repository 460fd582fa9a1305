import type { AgentConfig } from './load.js';

/** Keys whose values are masked in printouts (clearml-agent's list; camelCase forms included). */
const SECRET_KEY = /secret|pass|token|account_?key|contents/i;
/** Environment-variable names whose values are secrets (inside `environment {}` and docker `-e`). */
const SECRET_ENV_NAME = /secret|pass|token|key|auth|credential/i;
export const MASK = '****';
/** Shorter values would blank out ordinary words all over the task logs. */
const MIN_REDACTED_LENGTH = 4;

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)([^@\s]*)@/gi;
const DOCKER_ENV_ARG = /((?:^|\s)(?:-e|--env)(?:=|\s+))([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g;

/** `https://user:secret@host` → `https://user:***@host`. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@');
}

function maskString(text: string): string {
  return maskUrlPasswords(text).replace(DOCKER_ENV_ARG, (match, flag: string, name: string) =>
    SECRET_ENV_NAME.test(name) ? `${flag}${name}=${MASK}` : match,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A secret leaf becomes `****`. Empty and null stay visible so "is it set?" can be answered;
 * booleans (`enable_git_ask_pass`) and durations (`token_expiration_threshold_sec`) hold no secret.
 */
function maskWhole(value: unknown, key: string): unknown {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && /(_sec|Sec)$/.test(key)) return value;
  return MASK;
}

function maskList(items: unknown[]): unknown[] {
  return items.map((item, index) => {
    const previous = items[index - 1];
    // docker arguments as a list: ["-e", "AWS_SECRET_ACCESS_KEY=..."]
    if (typeof item === 'string' && (previous === '-e' || previous === '--env')) {
      const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(item);
      if (match && SECRET_ENV_NAME.test(match[1] as string)) return `${match[1]}=${MASK}`;
    }
    return maskAny(item);
  });
}

function maskAny(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return maskList(value);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, SECRET_KEY.test(key) ? maskWhole(child, key) : maskAny(child)]),
    );
  }
  return value;
}

/**
 * A copy of a configuration tree (raw snake_case or typed camelCase) that is safe to print: values
 * of secret-looking keys and of the whole top-level `environment` section become `****`, passwords
 * inside URLs and secret docker `-e NAME=value` arguments are masked.
 */
export function maskSecrets<T>(tree: T): T {
  if (!isPlainObject(tree)) return maskAny(tree) as T;
  const masked = maskAny(tree) as Record<string, unknown>;
  if (isPlainObject(tree.environment)) {
    masked.environment = Object.fromEntries(Object.entries(tree.environment).map(([key, value]) => [key, maskWhole(value, key)]));
  }
  return masked as T;
}

function keySegment(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function formatLeaf(value: unknown): string {
  if (typeof value === 'string') return value.includes('\n') ? JSON.stringify(value) : value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/** `a.b.c = value` lines, like clearml-agent's configuration printout. Mask first. */
export function flattenConfig(tree: unknown): string[] {
  const lines: string[] = [];
  const visit = (value: unknown, prefix: string) => {
    if (isPlainObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && prefix) lines.push(`${prefix} = {}`);
      for (const [key, child] of entries) visit(child, prefix ? `${prefix}.${keySegment(key)}` : keySegment(key));
      return;
    }
    lines.push(`${prefix} = ${formatLeaf(value)}`);
  };
  visit(tree, '');
  return lines;
}

function collectFromRaw(value: unknown, key: string | null, out: Set<string>): void {
  if (typeof value === 'string') {
    if (key !== null && SECRET_KEY.test(key) && !/contents/i.test(key)) out.add(value);
    for (const match of value.matchAll(URL_PASSWORD)) if (match[2]) out.add(decodeURIComponentSafe(match[2]));
    for (const match of value.matchAll(DOCKER_ENV_ARG)) if (SECRET_ENV_NAME.test(match[2] as string) && match[3]) out.add(match[3]);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const previous = value[index - 1];
      if (typeof item === 'string' && (previous === '-e' || previous === '--env')) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(item);
        if (match && SECRET_ENV_NAME.test(match[1] as string)) out.add(match[2] as string);
      }
      collectFromRaw(item, key, out);
    });
    return;
  }
  if (isPlainObject(value)) for (const [childKey, child] of Object.entries(value)) collectFromRaw(child, childKey, out);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Every secret value the configuration holds, longest first, for log redaction: the API secret and
 * token, git password, values of secret-looking keys anywhere in the files (sdk storage keys...),
 * passwords inside URLs, secret docker `-e` values and secret-named `environment {}` entries.
 * Values under 4 characters are left out: redacting them would garble ordinary log text.
 */
export function collectSecretValues(config: AgentConfig): string[] {
  const found = new Set<string>();
  for (const value of [config.api.credentials.secretKey, config.api.authToken, config.agent.gitPass]) {
    if (value) found.add(value);
  }
  collectFromRaw(config.raw, null, found);
  for (const [name, value] of Object.entries(config.environment)) {
    if (SECRET_ENV_NAME.test(name)) found.add(value);
  }
  for (const url of config.agent.packageManager.extraIndexUrl) collectFromRaw(url, null, found);
  return [...found].filter((value) => value.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}
