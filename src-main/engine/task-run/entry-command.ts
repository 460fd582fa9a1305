import type { TaskRecord } from './task-record.js';
import { cliArgsForTask } from '../api/index.js';

/** How the task's entry point becomes a command line (reference §4.9). */
export interface EntryCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface EntryCommandInput {
  readonly task: TaskRecord;
  readonly pythonExecutable: string;
  readonly entryPoint: string;
  /** Absolute working directory of the task (the process's cwd; scripts are relative to it). */
  readonly workingDir: string;
  /** `-O` flags requested with the worker args (0, 1 or 2). */
  readonly optimizeLevel?: number;
  readonly shell?: string;
}

export class EntryPointError extends Error {
  override readonly name = 'EntryPointError';
}

function splitArgs(text: string): string[] {
  // Entry points such as "-m pkg.mod --x 1" carry their own args; quotes group words.
  const tokens: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) tokens.push(match[1] ?? match[2] ?? match[3] ?? '');
  return tokens;
}

function isShellBinary(binary: string): boolean {
  const base = binary.split('/').pop() ?? '';
  return base === 'bash' || base === 'sh' || base === 'zsh';
}

export function buildEntryCommand(input: EntryCommandInput): EntryCommand {
  const binary = input.task.script?.binary?.trim() || 'python';
  const entry = input.entryPoint.trim();
  if (!entry) throw new EntryPointError(`task ${input.task.id} has no entry point (script.entry_point is empty); set it to a script file or "-m module"`);
  // Tasks made without the SDK (tray-agent task create) get their recorded, possibly edited,
  // arguments on the command line; with the SDK, Task.init injects them inside the process.
  const extraArgs = cliArgsForTask(input.task as never) ?? [];

  if (isShellBinary(binary)) {
    const shell = input.shell || process.env['SHELL'] || '/bin/bash';
    if (entry.startsWith('-c ')) return { command: shell, args: ['-c', entry.slice(3).trim(), ...extraArgs] };
    const [script, ...rest] = splitArgs(entry);
    return { command: shell, args: [script!, ...rest, ...extraArgs] };
  }

  const optimize = input.optimizeLevel && input.optimizeLevel > 0 ? [`-${'O'.repeat(Math.min(2, input.optimizeLevel))}`] : [];
  const pythonArgs = ['-u', ...optimize];
  if (entry.startsWith('-m ') || entry === '-m') {
    const [, moduleName, ...rest] = splitArgs(entry);
    if (!moduleName) throw new EntryPointError(`task ${input.task.id}: entry point "-m" names no module`);
    return { command: input.pythonExecutable, args: [...pythonArgs, '-m', moduleName, ...rest, ...extraArgs] };
  }
  if (entry.startsWith('-c ')) {
    return { command: input.pythonExecutable, args: [...pythonArgs, '-c', entry.slice(3).trim(), ...extraArgs] };
  }
  const [script, ...rest] = splitArgs(entry);
  return { command: input.pythonExecutable, args: [...pythonArgs, script!, ...rest, ...extraArgs] };
}
