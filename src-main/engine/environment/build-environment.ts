import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from './errors.js';
import { reportableFrozenLines } from './frozen-requirements.js';
import type { InstallPlan } from './install-plan.js';
import type { BuildContext, EnvironmentBuilder } from './installers/builder.js';
import type { InterpreterInfo } from './interpreter.js';
import { probeInterpreter } from './interpreter.js';
import type { PipSettings } from './pip-setup.js';
import { setUpPip } from './pip-setup.js';
import { withRequirementsFile } from './requirements-file.js';

export { withRequirementsFile } from './requirements-file.js';

/** What a built environment remembers (stored in the cache entry's marker). */
export interface BuiltEnvironment {
  /** The environment's python, relative to the environment folder. */
  pythonRelative: string;
  pythonVersion: string;
  frozenRequirements: string[];
}

/** Everything decided before an environment is built; also what its cache key is made of. */
export interface BuildPlan {
  /** `--extra-index-url …` lines (agent.package_manager.extra_index_url, the torch index). */
  indexLines: string[];
  install: InstallPlan;
  pip: PipSettings;
  /** Torch packages installed by URL (pytorch_resolve: direct), for the frozen list. */
  directTorchUrls: Map<string, string>;
}

function hasAnything(plan: BuildPlan): boolean {
  return plan.install.priority.length + plan.install.main.length + plan.install.post.length > 0;
}

/**
 * Installs `plan` into the environment of `python`: priority packages one by one, the main list
 * in one run, post packages one by one. An optional package that fails is logged and left out.
 */
export async function installPlan(builder: EnvironmentBuilder, python: string, plan: BuildPlan, ctx: BuildContext): Promise<void> {
  if (!hasAnything(plan)) return;
  const common = [...plan.indexLines, ...plan.install.optionLines];
  const single = async (line: string, optional: boolean, when: string): Promise<boolean> => {
    ctx.log(`Installing ${when} package ${line}${optional ? ' (optional)' : ''}`);
    if (!optional) {
      await withRequirementsFile([...common, line], (file) => builder.install(python, file, ctx));
      return true;
    }
    const failure = await withRequirementsFile([...common, line], (file) => builder.tryInstall(python, file, ctx));
    if (failure) ctx.log(`WARNING: optional ${when} package ${line} was not installed (${failure.split('\n').pop()}); continuing without it`);
    return failure === null;
  };
  const dropped = new Set<string>();
  for (const step of plan.install.priority) {
    if (!(await single(step.line, step.optional, 'priority'))) dropped.add(step.line);
  }
  const main = plan.install.main.filter((line) => !dropped.has(line));
  if (main.length > 0) {
    ctx.log(`Installing ${main.length} requirement${main.length === 1 ? '' : 's'}`);
    await withRequirementsFile([...common, ...main], (file) => builder.install(python, file, ctx));
  }
  for (const step of plan.install.post) await single(step.line, step.optional, 'post');
}

/** Creates the environment at `dir`, sets up pip, installs `plan` and freezes the result. */
export async function buildEnvironment(builder: EnvironmentBuilder, dir: string, base: InterpreterInfo, plan: BuildPlan, ctx: BuildContext): Promise<BuiltEnvironment> {
  const python = await builder.create(dir, base, ctx);
  const installFlags = builder.usesPip ? await setUpPip(python, base.version, plan.indexLines, plan.pip, ctx) : plan.pip.forceUpgrade ? ['--upgrade'] : [];
  const buildCtx: BuildContext = { ...ctx, installFlags };
  await installPlan(builder, python, plan, buildCtx);
  const probe = await probeInterpreter(python, ctx.env, ctx.signal);
  if (!probe.ok) throw new EnvironmentError('failed creating environment', `the new environment's python (${python}) does not run: ${probe.problem}`);
  const frozenRequirements = reportableFrozenLines(await builder.freeze(python, buildCtx), plan.directTorchUrls);
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
