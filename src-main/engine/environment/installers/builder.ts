import path from 'node:path';
import type { InterpreterInfo } from '../interpreter.js';

export interface BuildContext {
  /** Environment for the tools (PATH, GIT_ASKPASS, pip settings). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** agent.package_manager.extra_pip_install_flags, as given. */
  extraPipInstallFlags: string[];
  systemSitePackages: boolean;
  /** Flags this environment's installs get on top (`--upgrade`, `--use-deprecated=legacy-resolver`). */
  installFlags: string[];
  /** "Indexes tried: …" for the error of a failed install. */
  describeIndexes: () => string;
}

/** Creates an environment, installs a requirements file into it and lists what it holds. */
export interface EnvironmentBuilder {
  readonly name: string;
  /** Creates an empty environment at `dir` from `base`; returns the environment's python. */
  create(dir: string, base: InterpreterInfo, ctx: BuildContext): Promise<string>;
  install(python: string, requirementsFile: string, ctx: BuildContext): Promise<void>;
  /** Like install, but a failure is returned (optional packages), not thrown. */
  tryInstall(python: string, requirementsFile: string, ctx: BuildContext): Promise<string | null>;
  freeze(python: string, ctx: BuildContext): Promise<string[]>;
  /** Whether `pip_version` / `pip_legacy_resolver` apply (the environment's installer is pip). */
  readonly usesPip: boolean;
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
