import { access } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { InterpreterInfo } from '../interpreter.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext } from './builder.js';
import { venvPython } from './builder.js';

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The folder holding `pyproject.toml` + `poetry.lock`: the working dir first, then the repo root. */
export async function findPoetryProject(repoDir: string, workingDir: string): Promise<string | null> {
  for (const dir of [...new Set([path.resolve(workingDir), path.resolve(repoDir)])]) {
    if ((await exists(path.join(dir, 'pyproject.toml'))) && (await exists(path.join(dir, 'poetry.lock')))) return dir;
  }
  return null;
}

/**
 * Poetry mode: the lock file decides what is installed; the environment lives in the project
 * (`.venv`, `virtualenvs.in-project`), so it goes away with the task's workspace and is never
 * cached.
 */
export async function installPoetryProject(
  poetry: string,
  projectDir: string,
  base: InterpreterInfo,
  ctx: BuildContext,
): Promise<{ venvDir: string; python: string }> {
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    POETRY_VIRTUALENVS_IN_PROJECT: 'true',
    POETRY_VIRTUALENVS_CREATE: 'true',
    POETRY_NO_INTERACTION: '1',
    ...(ctx.systemSitePackages ? { POETRY_VIRTUALENVS_OPTIONS_SYSTEM_SITE_PACKAGES: 'true' } : {}),
  };
  const run = async (args: string[], what: string, captureStdout = false) => {
    ctx.log(`poetry ${args.join(' ')}`);
    const result = await runProcess(poetry, args, { cwd: projectDir, env, signal: ctx.signal, onLine: ctx.log, captureStdout });
    if (result.exitCode !== 0) throw new EnvironmentError(what, `${what}: poetry ${args[0] ?? ''} ${summariseFailure(result)}`);
    return result.stdout;
  };
  await run(['env', 'use', base.executable], 'failed creating environment');
  await run(['install', '--no-interaction'], 'failed installing requirements');
  const venvDir = (await run(['env', 'info', '--path'], 'failed creating environment', true)).trim().split(/\r?\n/).pop() ?? '';
  if (!venvDir) throw new EnvironmentError('failed creating environment', `poetry env info --path printed nothing in ${projectDir}`);
  return { venvDir, python: venvPython(venvDir) };
}
