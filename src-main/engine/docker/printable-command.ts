/**
 * The `docker run` command line equivalent to what the agent asks the daemon for, for the task
 * log and the terminal — with secrets masked (`agent.hide_docker_command_env_vars`, reference
 * §2.5). Pure.
 */
import { maskUrlPasswords } from '../config/mask.js';

export const DOCKER_MASK = '********';

/** clearml-agent's list; `extra_keys` and CLEARML_AGENT_DOCKER_ARGS_HIDE_ENV add to it. */
export const DEFAULT_HIDDEN_ENV_KEYS = ['CLEARML_API_SECRET_KEY', 'CLEARML_AGENT_GIT_PASS', 'AWS_SECRET_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'CLEARML_AUTH_TOKEN'];

/** Names that hold secrets by convention (*_TOKEN, *_SECRET, *_PASSWORD, *_KEY, ...). */
const SECRET_NAME = /secret|passw|pass$|_pass_|token|key|auth|credential/i;

export interface MaskRules {
  /** Extra variable names to hide (hide_docker_command_env_vars.extra_keys). */
  readonly extraKeys: readonly string[];
  /** Mask `user:password@` inside URLs in any value (parse_embedded_urls). */
  readonly parseEmbeddedUrls: boolean;
}

/**
 * `NAME=value` → `NAME=********` when NAME is on the list or looks like a secret. The project's
 * rule that secrets never reach any output holds even with `hide_docker_command_env_vars.enabled:
 * false`: that switch cannot unmask a secret-named variable (docs/docker.md).
 */
export function maskEnvAssignment(assignment: string, rules: MaskRules): string {
  const equals = assignment.indexOf('=');
  if (equals <= 0) return assignment;
  const name = assignment.slice(0, equals);
  const hidden = new Set([...DEFAULT_HIDDEN_ENV_KEYS, ...rules.extraKeys].map((key) => key.toUpperCase()));
  if (hidden.has(name.toUpperCase()) || SECRET_NAME.test(name)) return `${name}=${DOCKER_MASK}`;
  return rules.parseEmbeddedUrls ? `${name}=${maskUrlPasswords(assignment.slice(equals + 1))}` : assignment;
}

export interface PrintableRun {
  readonly image: string;
  readonly command: readonly string[];
  readonly name: string | null;
  readonly labels: Readonly<Record<string, string>>;
  /** Docker's `--gpus` value, or null for none. */
  readonly gpus: string | null;
  /** User switches other than -e (network, ipc, volumes ...), as written. */
  readonly switchWords: readonly string[];
  /** Every `NAME=value` the container gets, in order. */
  readonly env: readonly string[];
  /** The agent's own mounts, `host:container[:ro]`. */
  readonly binds: readonly string[];
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_\-.,:=/@%+]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function printableDockerCommand(run: PrintableRun, rules: MaskRules): string {
  const words = ['docker', 'run', '--init', '--rm'];
  if (run.name) words.push('--name', run.name);
  for (const [key, value] of Object.entries(run.labels)) words.push('-l', `${key}=${value}`);
  if (run.gpus) words.push('--gpus', run.gpus);
  words.push(...run.switchWords.map((word) => maskUrlPasswords(word)));
  for (const assignment of run.env) words.push('-e', maskEnvAssignment(assignment, rules));
  for (const bind of run.binds) words.push('-v', bind);
  words.push(run.image, ...run.command);
  return words.map(shellWord).join(' ');
}
