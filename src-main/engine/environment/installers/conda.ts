import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { runProcess, summariseFailure } from '../run-process.js';
import type { EnvironmentBuilder } from './builder.js';
import { pipFreeze, pipInstall } from './pip.js';

function condaPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'python.exe') : path.join(dir, 'bin', 'python');
}

/**
 * conda mode: `conda create -p DIR python=X.Y pip`, then the pip requirement list is installed
 * with that environment's pip (tasks record pip lists, not conda specs).
 */
export function condaBuilder(conda: string): EnvironmentBuilder {
  return {
    name: 'conda',
    async create(dir, base, ctx) {
      const version = base.version.split('.').slice(0, 2).join('.');
      const args = ['create', '--yes', '--quiet', '--prefix', dir, `python=${version}`, 'pip'];
      ctx.log(`Creating conda environment: conda ${args.join(' ')}`);
      const result = await runProcess(conda, args, { env: ctx.env, signal: ctx.signal, onLine: ctx.log });
      if (result.exitCode !== 0) throw new EnvironmentError('failed creating environment', `conda create ${summariseFailure(result)}`);
      return condaPython(dir);
    },
    install: (python, file, ctx) => pipInstall(python, file, ctx, 'pip (conda env)'),
    freeze: pipFreeze,
  };
}
