import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { BuildContext, EnvironmentBuilder } from './builder.js';
import { freezeLines, venvPython } from './builder.js';
import { installFailure } from './pip.js';
import type { Command } from './uv-commands.js';
import { uvPipFreezeCommand, uvPipInstallCommand, uvVenvCommand } from './uv-commands.js';

export async function runUv(uv: string, command: Command, ctx: BuildContext, opts: { cwd?: string; captureStdout?: boolean } = {}) {
  ctx.log(`Running: uv ${command.args.join(' ')}`);
  return runProcess(uv, command.args, {
    cwd: opts.cwd,
    env: { ...ctx.env, ...command.env },
    signal: ctx.signal,
    onLine: opts.captureStdout ? undefined : ctx.log,
    captureStdout: opts.captureStdout,
  });
}

/**
 * uv mode without a uv.lock: `uv venv --seed` and `uv pip install -r` (uv reads
 * `--extra-index-url` lines from the requirements file like pip).
 */
export function uvBuilder(uv: string): EnvironmentBuilder {
  const install = async (python: string, file: string, ctx: BuildContext) =>
    runUv(uv, uvPipInstallCommand({ python, requirementsFile: file, upgrade: ctx.installFlags.includes('--upgrade'), extraFlags: ctx.extraPipInstallFlags }), ctx);
  return {
    name: 'uv',
    usesPip: false,
    async create(dir, base, ctx) {
      const result = await runUv(uv, uvVenvCommand({ dir, python: base.executable, systemSitePackages: ctx.systemSitePackages }), ctx);
      if (result.exitCode !== 0) throw new EnvironmentError('failed creating environment', `uv venv ${summariseFailure(result)}`);
      return venvPython(dir);
    },
    async install(python, file, ctx) {
      const result = await install(python, file, ctx);
      if (result.exitCode !== 0) throw installFailure('uv pip install', summariseFailure(result), ctx);
    },
    async tryInstall(python, file, ctx) {
      const result = await install(python, file, ctx);
      return result.exitCode === 0 ? null : summariseFailure(result);
    },
    async freeze(python, ctx) {
      const result = await runUv(uv, uvPipFreezeCommand(python), ctx, { captureStdout: true });
      if (result.exitCode !== 0) throw new EnvironmentError('failed listing installed packages', `uv pip freeze ${summariseFailure(result)}`);
      return freezeLines(result.stdout);
    },
  };
}
