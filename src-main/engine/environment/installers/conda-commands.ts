/**
 * Pure: the conda command lines of conda mode. Written against conda 24's documented command
 * line (`conda create --prefix`, `-c` channels); conda is not installable on the machines this
 * project is built on, so these are table-tested, not run (docs/environment.md).
 */
import type { Command } from './uv-commands.js';

/** `conda create --yes --quiet --prefix DIR -c ch1 -c ch2 python=X.Y pip`. */
export function condaCreateCommand(opts: { prefix: string; pythonVersion: string; channels: readonly string[] }): Command {
  const majorMinor = opts.pythonVersion.split('.').slice(0, 2).join('.');
  return {
    args: ['create', '--yes', '--quiet', '--prefix', opts.prefix, ...opts.channels.flatMap((c) => ['-c', c]), `python=${majorMinor}`, 'pip'],
    env: {},
  };
}
