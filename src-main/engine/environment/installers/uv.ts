import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext, EnvironmentBuilder } from './builder.js';
import { freezeLines, venvPython } from './builder.js';
import { INSTALL_FAILED } from './pip.js';

/**
 * uv mode: `uv venv --seed` (pip included, so tasks can still `pip install` at run time) and
 * `uv pip install -r`. uv reads `--extra-index-url` lines from the requirements file like pip.
 */
export function uvBuilder(uv: string): EnvironmentBuilder {
  return {
    name: 'uv',
    async create(dir, base, ctx) {
      const args = ['venv', '--seed', '--python', base.executable, ...(ctx.systemSitePackages ? ['--system-site-packages'] : []), dir];
      ctx.log(`Creating virtual environment: uv ${args.join(' ')}`);
      const result = await runProcess(uv, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
      if (result.exitCode !== 0) throw new EnvironmentError('failed creating environment', `uv venv ${summariseFailure(result)}`);
      return venvPython(dir);
    },
    async install(python: string, file: string, ctx: BuildContext) {
      const args = ['pip', 'install', '--python', python, '-r', file, ...ctx.extraPipInstallFlags];
      const result = await runProcess(uv, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
      if (result.exitCode !== 0) {
        throw new EnvironmentError(INSTALL_FAILED, `${INSTALL_FAILED}: uv pip install ${summariseFailure(result)}`);
      }
    },
    async freeze(python: string, ctx: BuildContext) {
      const result = await runProcess(uv, ['pip', 'freeze', '--python', python], { env: ctx.env, signal: ctx.signal, captureStdout: true });
      if (result.exitCode !== 0) throw new EnvironmentError('failed listing installed packages', `uv pip freeze ${summariseFailure(result)}`);
      return freezeLines(result.stdout);
    },
  };
}
