import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { InterpreterInfo } from '../interpreter.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext } from './builder.js';
import { venvPython } from './builder.js';
import { INSTALL_FAILED } from './pip.js';

/** Pure: the poetry command lines of poetry mode (written against Poetry 1.3, Debian 12's). */
export function poetryCommands(opts: { python: string; installExtraArgs: readonly string[] }) {
  return {
    envUse: ['env', 'use', opts.python],
    install: ['install', '--no-interaction', ...opts.installExtraArgs],
    envPath: ['env', 'info', '--path'],
  };
}

/** Pure: settings through the environment, so nothing is written into the task's repository. */
export function poetryEnvironment(systemSitePackages: boolean, env: NodeJS.ProcessEnv = {}): Record<string, string> {
  return {
    // A headless agent has no unlocked keyring; poetry would fail with "Failed to unlock the
    // item!" asking it for source credentials. The user's own choice of backend wins.
    ...(env.PYTHON_KEYRING_BACKEND ? {} : { PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' }),
    // clearml-agent runs `poetry config --local virtualenvs.in-project true`; the variable does
    // the same without leaving a poetry.toml in the checkout.
    POETRY_VIRTUALENVS_IN_PROJECT: 'true',
    POETRY_VIRTUALENVS_CREATE: 'true',
    POETRY_NO_INTERACTION: '1',
    ...(systemSitePackages ? { POETRY_VIRTUALENVS_OPTIONS_SYSTEM_SITE_PACKAGES: 'true' } : {}),
  };
}

/**
 * Poetry mode: the lock file decides what is installed; the environment lives in the project
 * (`.venv`), so it goes away with the task's workspace and is never cached.
 */
export async function installPoetryProject(opts: {
  poetry: string;
  projectDir: string;
  lockFile: string;
  base: InterpreterInfo;
  installExtraArgs: readonly string[];
  ctx: BuildContext;
}): Promise<{ venvDir: string; python: string }> {
  const { ctx, projectDir } = opts;
  const env: NodeJS.ProcessEnv = { ...ctx.env, ...poetryEnvironment(ctx.systemSitePackages, ctx.env) };
  const commands = poetryCommands({ python: opts.base.executable, installExtraArgs: opts.installExtraArgs });
  const run = async (args: string[], fail: (summary: string) => EnvironmentError, captureStdout = false) => {
    ctx.log(`Running: poetry ${args.join(' ')}`);
    const result = await runProcess(opts.poetry, args, { cwd: projectDir, env, signal: ctx.signal, onLine: captureStdout ? undefined : ctx.log, captureStdout });
    if (result.exitCode !== 0) throw fail(summariseFailure(result));
    return result.stdout;
  };
  await run(commands.envUse, (s) => new EnvironmentError('failed creating environment', `failed creating environment: poetry env use ${opts.base.executable} in ${projectDir} ${s}`));
  await run(
    commands.install,
    (s) =>
      new EnvironmentError(
        INSTALL_FAILED,
        `${INSTALL_FAILED}: poetry install in ${projectDir}, from the lock file ${opts.lockFile}, ${s}\n` +
          `Fix ${path.basename(opts.lockFile)} (regenerate it with \`poetry lock\` and commit it), or the package sources in pyproject.toml.`,
      ),
  );
  const venvDir = (await run(commands.envPath, (s) => new EnvironmentError('failed creating environment', `poetry env info --path ${s}`), true)).trim().split(/\r?\n/).pop() ?? '';
  if (!venvDir) throw new EnvironmentError('failed creating environment', `poetry env info --path printed nothing in ${projectDir}`);
  return { venvDir, python: venvPython(venvDir) };
}
