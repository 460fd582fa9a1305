import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { EnvironmentBuilder } from './builder.js';
import { condaCreateCommand } from './conda-commands.js';
import { pipFreeze, pipInstall, tryPipInstall } from './pip.js';

function condaPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'python.exe') : path.join(dir, 'bin', 'python');
}

/**
 * conda mode: `conda create --prefix DIR -c <channels> python=X.Y pip`, then the pip
 * requirement list is installed with that environment's pip (tasks record pip lists).
 */
export function condaBuilder(conda: string, channels: readonly string[]): EnvironmentBuilder {
  return {
    name: 'conda',
    usesPip: true,
    async create(dir, base, ctx) {
      const command = condaCreateCommand({ prefix: dir, pythonVersion: base.version, channels });
      ctx.log(`Creating conda environment: conda ${command.args.join(' ')}`);
      const result = await runProcess(conda, command.args, { env: { ...ctx.env, ...command.env }, signal: ctx.signal, onLine: ctx.log });
      if (result.exitCode !== 0) throw new EnvironmentError('failed creating environment', `conda create ${summariseFailure(result)}`);
      return condaPython(dir);
    },
    install: (python, file, ctx) => pipInstall(python, file, ctx, 'pip (conda env)'),
    tryInstall: tryPipInstall,
    freeze: pipFreeze,
  };
}
