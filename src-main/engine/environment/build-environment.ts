import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError } from './errors.js';
import type { BuildContext, EnvironmentBuilder } from './installers/builder.js';
import type { InterpreterInfo } from './interpreter.js';
import { probeInterpreter } from './interpreter.js';

/** What a built environment remembers (stored in the cache entry's marker). */
export interface BuiltEnvironment {
  /** The environment's python, relative to the environment folder. */
  pythonRelative: string;
  pythonVersion: string;
  frozenRequirements: string[];
}

/**
 * The requirement lines go to the installer through a private temporary file rather than argv:
 * index URLs may carry credentials, and argv is visible to every user of the machine.
 */
export async function withRequirementsFile<T>(lines: string[], use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tray-agent-reqs-'));
  try {
    const file = path.join(dir, 'requirements.txt');
    await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Creates the environment at `dir`, installs `installLines` (index options first) and freezes
 * it. `installLines` empty → an environment with nothing but pip.
 */
export async function buildEnvironment(
  builder: EnvironmentBuilder,
  dir: string,
  base: InterpreterInfo,
  indexLines: string[],
  installLines: string[],
  ctx: BuildContext,
): Promise<BuiltEnvironment> {
  const python = await builder.create(dir, base, ctx);
  if (installLines.length > 0) {
    await withRequirementsFile([...indexLines, ...installLines], (file) => builder.install(python, file, ctx));
  }
  const probe = await probeInterpreter(python, ctx.env, ctx.signal);
  if (!probe.ok) throw new EnvironmentError('failed creating environment', `the new environment's python (${python}) does not run: ${probe.problem}`);
  const frozenRequirements = await builder.freeze(python, ctx);
  return { pythonRelative: path.relative(dir, python), pythonVersion: probe.info.version, frozenRequirements };
}

/**
 * A cheap health check of an existing environment's interpreter: it must still be executable,
 * following the venv's link to its base interpreter (a removed or upgraded base python breaks
 * every venv made from it). No process is started: this runs on every cache hit, where
 * starting python would cost more than everything else the agent does before the task runs.
 */
export async function pythonRuns(python: string): Promise<boolean> {
  try {
    await access(python, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
