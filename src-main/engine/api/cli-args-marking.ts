import { parse as parseShellWords } from 'shell-quote';
import type { HyperParamInput } from './services/tasks.js';
import type { Task } from './models.js';

/**
 * How a task made without the ClearML SDK (`tray-agent task create`) carries its command-line
 * arguments. With the SDK, arguments live in hyperparams and the SDK injects them inside the
 * process, so the agent never passes them. A task without the SDK has no one to inject them:
 * the system tag below tells the agent to put them on the command line itself.
 *
 * Section `Args`: parameter `_argv` holds free-form arguments in shell syntax (placed first);
 * every other parameter `name` = `value` becomes `--name value` (`--name` alone when the value
 * is empty), in name order. docs/api-client.md describes the same rule for users.
 */
export const cliArgsSystemTag = 'tray-agent:cli-args';
export const cliArgsSection = 'Args';
export const positionalArgsParam = '_argv';

const namedArgPattern = /^[A-Za-z0-9][\w.-]*$/;

export class CliArgsError extends Error {
  override name = 'CliArgsError';
}

/** Shell-like word splitting (quotes, backslashes); `$VAR` stays literal, operators are refused. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  for (const entry of parseShellWords(text, (name) => `$${name}`)) {
    if (typeof entry === 'string') {
      words.push(entry);
    } else if ('op' in entry && entry.op === 'glob') {
      words.push(entry.pattern);
    } else if ('comment' in entry) {
      throw new CliArgsError(`arguments "${text}" contain a comment (#${entry.comment}); quote the # character`);
    } else {
      throw new CliArgsError(`arguments "${text}" contain the shell operator "${entry.op}"; quote it or drop it (no shell runs the task)`);
    }
  }
  return words;
}

/** Hyperparams (section Args) for `--args "…"` and repeated `--arg name=value`. */
export function buildCliArgsHyperparams(input: { argsString?: string; namedArgs?: ReadonlyArray<readonly [string, string]> }): Record<string, Record<string, HyperParamInput>> {
  const params: Record<string, HyperParamInput> = {};
  if (input.argsString !== undefined && input.argsString.trim() !== '') {
    splitShellWords(input.argsString); // refuse bad syntax now rather than when the task runs
    params[positionalArgsParam] = { section: cliArgsSection, name: positionalArgsParam, value: input.argsString, type: 'str', description: 'arguments placed first on the command line (shell syntax)' };
  }
  for (const [name, value] of input.namedArgs ?? []) {
    if (!namedArgPattern.test(name)) {
      throw new CliArgsError(`argument name "${name}" is not usable as --${name}; use letters, digits, "_", "-" or ".", starting with a letter or digit`);
    }
    if (name in params) throw new CliArgsError(`argument "${name}" is given twice`);
    params[name] = { section: cliArgsSection, name, value, type: 'str' };
  }
  return Object.keys(params).length > 0 ? { [cliArgsSection]: params } : {};
}

/** The arguments to append to the entry point, or null when the task is not marked (the SDK injects them). */
export function cliArgsForTask(task: Pick<Task, 'system_tags' | 'hyperparams'>): string[] | null {
  if (!task.system_tags?.includes(cliArgsSystemTag)) return null;
  const section = task.hyperparams?.[cliArgsSection] ?? {};
  const args: string[] = [];
  const positional = section[positionalArgsParam]?.value;
  if (positional != null && String(positional).trim() !== '') args.push(...splitShellWords(String(positional)));
  const names = Object.keys(section).filter((key) => key !== positionalArgsParam).sort();
  for (const key of names) {
    const param = section[key];
    const name = param?.name || key;
    const value = param?.value == null ? '' : String(param.value);
    args.push(`--${name}`);
    if (value !== '') args.push(value);
  }
  return args;
}
