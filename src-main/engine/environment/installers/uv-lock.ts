import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { InterpreterInfo } from '../interpreter.js';
import { summariseFailure } from '../run-process.js';
import type { BuildContext } from './builder.js';
import { venvPython } from './builder.js';
import { INSTALL_FAILED } from './pip.js';
import { runUv } from './uv.js';
import { uvSyncCommand } from './uv-commands.js';

/** uv mode with a uv.lock: `uv sync --locked` into `<project>/.venv` (never cached, as clearml-agent). */
export async function installUvProject(opts: {
  uv: string;
  projectDir: string;
  lockFile: string;
  base: InterpreterInfo;
  cacheDir: string;
  syncExtraArgs: readonly string[];
  ctx: BuildContext;
}): Promise<{ venvDir: string; python: string }> {
  const command = uvSyncCommand({ python: opts.base.executable, cacheDir: opts.cacheDir, extraArgs: opts.syncExtraArgs });
  const result = await runUv(opts.uv, command, opts.ctx, { cwd: opts.projectDir });
  if (result.exitCode !== 0) {
    throw new EnvironmentError(
      INSTALL_FAILED,
      `${INSTALL_FAILED}: uv sync in ${opts.projectDir}, from the lock file ${opts.lockFile}, ${summariseFailure(result)}\nFix ${path.basename(opts.lockFile)} (regenerate it with \`uv lock\`).`,
    );
  }
  const venvDir = path.join(opts.projectDir, '.venv');
  return { venvDir, python: venvPython(venvDir) };
}
