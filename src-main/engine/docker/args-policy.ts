/**
 * The admin's rules over docker switches (reference §5.6): merge the admin's
 * `extra_docker_arguments` with the task's (or default) switches, keep protected switches
 * from being overridden, and refuse task switches that `docker_args_filters` does not allow —
 * before anything starts. Pure.
 */
import { DockerArgsError, describeSource, type DockerSwitch } from './docker-args.js';

/** A task switch the admin's filters forbid; the task fails with this message. */
export class DockerArgsRefusedError extends DockerArgsError {
  constructor(
    message: string,
    readonly refused: readonly DockerSwitch[],
  ) {
    super(message);
  }
}

const ALIASES: Record<string, string> = { net: 'network', e: 'env', v: 'volume', l: 'label' };

/** `--network`, `network`, `-e` → the canonical name the parser uses. */
export function canonicalSwitchName(name: string): string {
  const bare = name.trim().replace(/^-+/, '').split('=')[0] ?? '';
  return ALIASES[bare] ?? bare;
}

export interface MergeInput {
  /** The image's switches: the task's container.arguments, or the default/command-line ones. */
  readonly image: readonly DockerSwitch[];
  /** agent.extra_docker_arguments (always applied). */
  readonly extra: readonly DockerSwitch[];
  /** agent.docker_args_extra_precedes_task */
  readonly extraPrecedesTask: boolean;
  /** agent.protected_docker_extra_args: names whose extra value the image's switches may not override. */
  readonly protectedNames: readonly string[];
}

export interface MergedArgs {
  readonly switches: DockerSwitch[];
  /** One line per switch left out, for the task log. */
  readonly notes: string[];
}

/**
 * Extra first, then the image's switches minus protected ones the extra args also set
 * (`extraPrecedesTask`); otherwise the image's first and the protected ones left out of extra.
 */
export function mergeDockerArgs(input: MergeInput): MergedArgs {
  const protectedNames = new Set(input.protectedNames.map(canonicalSwitchName));
  const notes: string[] = [];
  const namesIn = (switches: readonly DockerSwitch[]) => new Set(switches.map((s) => s.name));
  const without = (switches: readonly DockerSwitch[], names: Set<string>, winner: string) =>
    switches.filter((s) => {
      if (!protectedNames.has(s.name) || !names.has(s.name)) return true;
      notes.push(`Docker argument ${s.words.join(' ')} (${describeSource(s.source)}) left out: ${winner} sets --${s.name} and it is protected (agent.protected_docker_extra_args)`);
      return false;
    });
  if (input.extraPrecedesTask) {
    return { switches: [...input.extra, ...without(input.image, namesIn(input.extra), 'agent.extra_docker_arguments')], notes };
  }
  return { switches: [...input.image, ...without(input.extra, namesIn(input.image), 'the task')], notes };
}

function compileFilters(filters: readonly string[]): RegExp[] {
  return filters.map((text) => {
    try {
      // Anchored at the start, as clearml-agent's re.match.
      return new RegExp(`^(?:${text})`);
    } catch (error) {
      throw new DockerArgsError(`agent.docker_args_filters: "${text}" is not a valid regular expression (${(error as Error).message}); fix the pattern`);
    }
  });
}

/** The spellings a filter may match: as written, `--name value` and `--name=value`. */
function switchForms(s: DockerSwitch): string[] {
  const forms = [s.words.join(' ')];
  if (s.value === null) forms.push(`--${s.name}`);
  else forms.push(`--${s.name} ${s.value}`, `--${s.name}=${s.value}`);
  return [...new Set(forms)];
}

/**
 * `agent.docker_args_filters` is a whitelist for switches the task asked for: every task switch
 * must match one pattern, or the task is refused (clearml-agent drops them silently; a task that
 * silently runs without the `--ipc` or mount it asked for fails later in ways that are hard to
 * trace, so we refuse with the reason). null = no filtering.
 */
export function enforceArgsFilters(switches: readonly DockerSwitch[], filters: readonly string[] | null): void {
  if (filters === null) return;
  const patterns = compileFilters(filters);
  const refused = switches.filter((s) => s.source === 'task' && !switchForms(s).some((form) => patterns.some((p) => p.test(form))));
  if (refused.length === 0) return;
  const listed = refused.map((s) => `"${s.words.join(' ')}"`).join(', ');
  throw new DockerArgsRefusedError(
    `the task's docker arguments ${listed} are not allowed on this agent (agent.docker_args_filters allows only switches matching ${filters.map((f) => `/${f}/`).join(', ') || 'nothing'}); ` +
      'remove them from the task (container.arguments) or ask the agent admin to allow them',
    refused,
  );
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** `$VAR` / `${VAR}` from `env`; unset variables become empty, as in a shell. */
export function expandVariables(text: string, env: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (_, braced: string | undefined, plain: string | undefined) => env[(braced ?? plain) as string] ?? '');
}

export interface ExpandedEnvArgs {
  readonly switches: DockerSwitch[];
  readonly notes: string[];
}

/**
 * `-e KEY=$VAR` takes its value from the agent's environment: always for the admin's switches,
 * for the task's only with `agent.docker_allow_host_environ` (a task must not read the host's
 * secrets by naming them). `-e KEY` alone passes the host's KEY, under the same rule.
 */
export function expandEnvSwitches(switches: readonly DockerSwitch[], env: Record<string, string | undefined>, allowForTask: boolean): ExpandedEnvArgs {
  const notes: string[] = [];
  const out: DockerSwitch[] = [];
  for (const s of switches) {
    if (s.name !== 'env' || s.value === null) {
      out.push(s);
      continue;
    }
    const mayReadHost = s.source !== 'task' || allowForTask;
    const equals = s.value.indexOf('=');
    if (equals < 0) {
      const hostValue = env[s.value];
      if (!mayReadHost || hostValue === undefined) {
        notes.push(`Docker argument -e ${s.value} (${describeSource(s.source)}) left out: ${mayReadHost ? 'not set in the agent environment' : 'the task may not read the agent environment (agent.docker_allow_host_environ is off)'}`);
        continue;
      }
      out.push({ ...s, value: `${s.value}=${hostValue}` });
      continue;
    }
    if (!mayReadHost) {
      out.push(s);
      continue;
    }
    const key = s.value.slice(0, equals);
    out.push({ ...s, value: `${key}=${expandVariables(s.value.slice(equals + 1), env)}` });
  }
  return { switches: out, notes };
}
