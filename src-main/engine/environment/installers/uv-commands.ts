/**
 * Pure: the uv command lines of uv mode. Written against uv 0.5's documented command line
 * (`uv venv`, `uv pip install/freeze`, `uv sync --locked`); uv cannot be installed on the
 * machines this project is built on, so these are table-tested, not run (docs/environment.md).
 */

export interface Command {
  args: string[];
  /** Variables added to the tool's environment. */
  env: Record<string, string>;
}

export function uvVenvCommand(opts: { dir: string; python: string; systemSitePackages: boolean }): Command {
  // --seed: pip inside, so a task can still `pip install` at run time as with a plain venv.
  return { args: ['venv', '--seed', '--python', opts.python, ...(opts.systemSitePackages ? ['--system-site-packages'] : []), opts.dir], env: {} };
}

export function uvPipInstallCommand(opts: { python: string; requirementsFile: string; upgrade: boolean; extraFlags: readonly string[] }): Command {
  return {
    args: ['pip', 'install', '--python', opts.python, '-r', opts.requirementsFile, ...(opts.upgrade ? ['--upgrade'] : []), ...opts.extraFlags],
    env: {},
  };
}

export function uvPipFreezeCommand(python: string): Command {
  return { args: ['pip', 'freeze', '--python', python], env: {} };
}

/**
 * `uv sync --locked` in the project: installs exactly uv.lock into `<project>/.venv`, failing
 * (instead of re-locking) when the lock no longer matches pyproject.toml. The cache goes under
 * venvs_dir, as clearml-agent sets UV_CACHE_DIR.
 */
export function uvSyncCommand(opts: { python: string; cacheDir: string; extraArgs: readonly string[] }): Command {
  return {
    args: ['sync', '--locked', '--python', opts.python, ...opts.extraArgs],
    env: { UV_CACHE_DIR: opts.cacheDir, UV_PROJECT_ENVIRONMENT: '.venv', UV_NO_PROGRESS: '1' },
  };
}

export function uvVersionCommand(): Command {
  return { args: ['--version'], env: {} };
}

/** `uv 0.5.11 (…)` → `0.5.11`. */
export function parseUvVersion(output: string): string | null {
  return /\buv\s+(\d+(?:\.\d+)*\S*)/.exec(output)?.[1] ?? null;
}
