import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext, EnvironmentBuilder } from './builder.js';
import { freezeLines, venvPython } from './builder.js';

export const INSTALL_FAILED = 'failed installing requirements';

/** `python -m pip install -r FILE` into the environment of `python`. */
export async function pipInstall(python: string, requirementsFile: string, ctx: BuildContext, tool = 'pip'): Promise<void> {
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-r', requirementsFile, ...ctx.extraPipInstallFlags];
  const result = await runProcess(python, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
  if (result.exitCode !== 0) {
    throw new EnvironmentError(
      INSTALL_FAILED,
      `${INSTALL_FAILED}: ${tool} ${summariseFailure(result)}\nCheck the package names and versions in the task's requirements and the package indexes the agent uses (agent.package_manager.extra_index_url, extra_pip_install_flags).`,
    );
  }
}

export async function pipFreeze(python: string, ctx: BuildContext): Promise<string[]> {
  const result = await runProcess(python, ['-m', 'pip', 'freeze', '--disable-pip-version-check'], {
    env: ctx.env,
    signal: ctx.signal,
    captureStdout: true,
  });
  if (result.exitCode !== 0) {
    throw new EnvironmentError('failed listing installed packages', `pip freeze ${summariseFailure(result)}`);
  }
  return freezeLines(result.stdout);
}

/** The default: `python -m venv` (pip comes from the interpreter's bundled ensurepip, offline). */
export const pipBuilder: EnvironmentBuilder = {
  name: 'pip',
  async create(dir, base, ctx) {
    const args = ['-m', 'venv', ...(ctx.systemSitePackages ? ['--system-site-packages'] : []), dir];
    ctx.log(`Creating virtual environment: ${base.executable} ${args.join(' ')}`);
    const result = await runProcess(base.executable, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
    if (result.exitCode !== 0) {
      const summary = summariseFailure(result);
      const hint = /ensurepip/i.test(summary)
        ? ` This Python lacks ensurepip; on Debian/Ubuntu install the venv package for it (apt install python${base.version.split('.').slice(0, 2).join('.')}-venv).`
        : '';
      throw new EnvironmentError('failed creating environment', `python -m venv ${dir} ${summary}.${hint}`);
    }
    return venvPython(dir);
  },
  install: (python, file, ctx) => pipInstall(python, file, ctx),
  freeze: pipFreeze,
};
