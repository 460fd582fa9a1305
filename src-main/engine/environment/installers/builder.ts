import path from 'node:path';
import type { InterpreterInfo } from '../interpreter.js';

export interface BuildContext {
  /** Environment for the tools (PATH, GIT_ASKPASS, pip settings). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  signal?: AbortSignal;
  extraPipInstallFlags: string[];
  systemSitePackages: boolean;
}

/** Creates an environment, installs a requirements file into it and lists what it holds. */
export interface EnvironmentBuilder {
  readonly name: string;
  /** Creates an empty environment at `dir` from `base`; returns the environment's python. */
  create(dir: string, base: InterpreterInfo, ctx: BuildContext): Promise<string>;
  install(python: string, requirementsFile: string, ctx: BuildContext): Promise<void>;
  freeze(python: string, ctx: BuildContext): Promise<string[]>;
}

/** The interpreter inside a venv. */
export function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

export function freezeLines(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}
