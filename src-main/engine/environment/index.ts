import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuiltEnvironment } from './build-environment.js';
import { buildEnvironment, pythonRuns, withRequirementsFile } from './build-environment.js';
import { computeCacheKey, pipSettingsFromEnv } from './cache-key.js';
import { useCacheEntry } from './env-cache.js';
import { EnvironmentError, throwIfCancelled } from './errors.js';
import type { BuildContext, EnvironmentBuilder } from './installers/builder.js';
import { condaBuilder } from './installers/conda.js';
import { requireTool } from './installers/find-tool.js';
import { pipBuilder, pipFreeze } from './installers/pip.js';
import { findPoetryProject, installPoetryProject } from './installers/poetry.js';
import { uvBuilder } from './installers/uv.js';
import type { InterpreterInfo } from './interpreter.js';
import { probeInterpreter, resolveInterpreter } from './interpreter.js';
import { resolveRequirementSources } from './requirement-sources.js';
import type { RequirementsPlan } from './requirements.js';
import { planRequirements } from './requirements.js';
import type { EnvironmentOptions, EnvironmentRequest, PackageManagerType, PreparedEnvironment } from './types.js';
import { createUncachedEnvDir, removeEnvDir } from './uncached-venv.js';

export { EnvironmentError } from './errors.js';
export type {
  EnvironmentCacheOptions,
  EnvironmentOptions,
  EnvironmentRequest,
  PackageManagerType,
  PreparedEnvironment,
  TaskRequirements,
} from './types.js';

/** The environment every tool runs with: the caller's, minus settings that would break a venv build. */
function toolEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {
    ...env,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    // pip runs git for VCS requirements; credentials come only from GIT_ASKPASS, never a prompt.
    GIT_TERMINAL_PROMPT: env.GIT_TERMINAL_PROMPT ?? '0',
  };
  // PYTHONHOME points every interpreter at one prefix; PIP_USER makes pip refuse to install into
  // a venv; VIRTUAL_ENV is the agent's own venv, not the one being built.
  delete result.PYTHONHOME;
  delete result.PIP_USER;
  delete result.VIRTUAL_ENV;
  return result;
}

type ModeChoice =
  | { mode: 'builder'; builder: EnvironmentBuilder; effective: PackageManagerType }
  | { mode: 'poetry'; poetry: string; projectDir: string };

/** Checks the package manager's tool first, so a missing one fails before anything is built. */
async function choosePackageManager(req: EnvironmentRequest, opts: EnvironmentOptions, env: NodeJS.ProcessEnv): Promise<ModeChoice> {
  switch (opts.packageManager) {
    case 'pip':
      return { mode: 'builder', builder: pipBuilder, effective: 'pip' };
    case 'uv':
      return { mode: 'builder', builder: uvBuilder(await requireTool('uv', 'uv', env)), effective: 'uv' };
    case 'conda':
      return { mode: 'builder', builder: condaBuilder(await requireTool('conda', 'conda', env)), effective: 'conda' };
    case 'poetry': {
      const projectDir = await findPoetryProject(req.repoDir, req.workingDir);
      if (!projectDir) {
        opts.log('Package manager poetry: no pyproject.toml with poetry.lock in the working dir or repository root; using pip');
        return { mode: 'builder', builder: pipBuilder, effective: 'pip' };
      }
      return { mode: 'poetry', poetry: await requireTool('poetry', 'poetry', env), projectDir };
    }
    default:
      throw new EnvironmentError(
        `unknown package manager ${String(opts.packageManager)}`,
        `agent.package_manager.type is "${String(opts.packageManager)}"; use one of pip, uv, poetry, conda.`,
      );
  }
}

function indexLines(extraIndexUrls: string[]): string[] {
  return extraIndexUrls.map((u) => u.trim()).filter(Boolean).map((u) => `--extra-index-url ${u}`);
}

async function preparePoetry(
  choice: { poetry: string; projectDir: string },
  base: InterpreterInfo,
  originalRequirements: string | null,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  opts.log(`Package manager poetry: installing from ${path.join(choice.projectDir, 'poetry.lock')} (the task's package list is not used)`);
  const { venvDir, python } = await installPoetryProject(choice.poetry, choice.projectDir, base, ctx);
  const probe = await probeInterpreter(python, ctx.env, ctx.signal);
  if (!probe.ok) throw new EnvironmentError('failed creating environment', `poetry's environment python (${python}) does not run: ${probe.problem}`);
  const frozenRequirements = await pipFreeze(python, ctx);
  const cacheKey = computeCacheKey({
    packageManager: 'poetry',
    python: base,
    systemSitePackages: opts.systemSitePackages,
    extraIndexUrls: opts.extraIndexUrls,
    extraPipInstallFlags: opts.extraPipInstallFlags,
    requirements: frozenRequirements,
  });
  return {
    pythonExecutable: python,
    venvDir,
    pythonVersion: probe.info.version,
    cacheHit: false,
    cacheKey,
    frozenRequirements,
    originalRequirements,
    release: async () => undefined,
  };
}

function prepared(envDir: string, built: BuiltEnvironment, cacheHit: boolean, cacheKey: string, original: string | null, release: () => Promise<void>): PreparedEnvironment {
  return {
    pythonExecutable: path.join(envDir, built.pythonRelative),
    venvDir: envDir,
    pythonVersion: built.pythonVersion,
    cacheHit,
    cacheKey,
    frozenRequirements: built.frozenRequirements,
    originalRequirements: original,
    release,
  };
}

async function buildUncached(
  builder: EnvironmentBuilder,
  base: InterpreterInfo,
  plan: RequirementsPlan,
  cacheKey: string,
  original: string | null,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  const runDir = await createUncachedEnvDir(opts.venvsDir, base.version);
  const envDir = path.join(runDir, 'env');
  try {
    const built = await buildEnvironment(builder, envDir, base, indexLines(opts.extraIndexUrls), plan.installLines, ctx);
    let released = false;
    return prepared(envDir, built, false, cacheKey, original, async () => {
      if (released) return;
      released = true;
      await removeEnvDir(runDir);
    });
  } catch (error) {
    await removeEnvDir(runDir).catch(() => undefined);
    throw error;
  }
}

/** CLEARML_AGENT_SKIP_PIP_VENV_INSTALL: the requirements go into the interpreter itself; nothing is cached. */
async function installIntoInterpreter(
  builder: EnvironmentBuilder,
  base: InterpreterInfo,
  installLines: string[],
  original: string | null,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  // The interpreter as named (a venv's python is a link to its base: the link is what we want).
  const python = opts.pythonBinary && path.isAbsolute(opts.pythonBinary) ? opts.pythonBinary : base.executable;
  opts.log(`Installing into ${python} itself (no virtual environment)`);
  if (installLines.length > 0) await withRequirementsFile([...indexLines(opts.extraIndexUrls), ...installLines], (file) => builder.install(python, file, ctx));
  return {
    pythonExecutable: python,
    venvDir: base.prefix,
    pythonVersion: base.version,
    cacheHit: false,
    cacheKey: '',
    frozenRequirements: await builder.freeze(python, ctx),
    originalRequirements: original,
    release: async () => undefined,
  };
}

async function useInterpreterAsIs(req: EnvironmentRequest, opts: EnvironmentOptions, env: NodeJS.ProcessEnv): Promise<PreparedEnvironment> {
  const base = await resolveInterpreter(req.binary, opts, env, opts.signal);
  opts.log(`Python ${base.version}: ${base.executable} (used as is: no environment is created and nothing is installed)`);
  return {
    pythonExecutable: base.executable,
    venvDir: base.prefix,
    pythonVersion: base.version,
    cacheHit: false,
    cacheKey: '',
    frozenRequirements: [],
    originalRequirements: null,
    release: async () => undefined,
  };
}

async function prepare(req: EnvironmentRequest, opts: EnvironmentOptions): Promise<PreparedEnvironment> {
  throwIfCancelled(opts.signal);
  const env = toolEnvironment(opts.env);
  const ctx: BuildContext = {
    env,
    log: opts.log,
    signal: opts.signal,
    extraPipInstallFlags: opts.extraPipInstallFlags,
    systemSitePackages: opts.systemSitePackages,
  };
  if (req.skipInstall) return useInterpreterAsIs(req, opts, env);
  const choice = await choosePackageManager(req, opts, env);
  const base = await resolveInterpreter(req.binary, opts, env, opts.signal);
  opts.log(`Python ${base.version}: ${base.executable}`);

  const resolved = await resolveRequirementSources(req.requirements, req.repoDir, req.workingDir, opts);
  if (choice.mode === 'poetry') return preparePoetry(choice, base, resolved.originalRequirements, opts, ctx);

  opts.log(resolved.description);
  const plan = planRequirements(resolved.sources, { pathExists: existsSync });
  for (const warning of plan.warnings) opts.log(`WARNING: ${warning}`);
  if (req.installIntoInterpreter) return installIntoInterpreter(choice.builder, base, plan.installLines, resolved.originalRequirements, opts, ctx);
  const cacheKey = computeCacheKey({
    packageManager: choice.effective,
    python: base,
    systemSitePackages: opts.systemSitePackages,
    extraIndexUrls: opts.extraIndexUrls,
    extraPipInstallFlags: opts.extraPipInstallFlags,
    requirements: plan.keyLines,
    pipEnvironment: pipSettingsFromEnv(env),
  });
  const original = resolved.originalRequirements;

  if (!opts.cache) return buildUncached(choice.builder, base, plan, cacheKey, original, opts, ctx);
  if (plan.uncacheableReason) {
    opts.log(`Environment cache: not caching this environment: ${plan.uncacheableReason}`);
    return buildUncached(choice.builder, base, plan, cacheKey, original, opts, ctx);
  }

  const outcome = await useCacheEntry<BuiltEnvironment>(
    { ...opts.cache, log: opts.log, signal: opts.signal },
    cacheKey,
    {
      isUsable: (contentDir, meta) => pythonRuns(path.join(contentDir, meta.pythonRelative)),
      build: (contentDir) => {
        opts.log(`Environment cache: miss for ${cacheKey}; building`);
        return buildEnvironment(choice.builder, contentDir, base, indexLines(opts.extraIndexUrls), plan.installLines, ctx);
      },
    },
  );
  if (outcome.kind === 'not-cached') {
    opts.log(`Environment cache: not caching this environment: ${outcome.reason}`);
    return buildUncached(choice.builder, base, plan, cacheKey, original, opts, ctx);
  }
  const { lease } = outcome;
  if (lease.hit) opts.log(`Environment cache: hit ${cacheKey} (${lease.meta.frozenRequirements.length} packages, python ${lease.meta.pythonVersion})`);
  return prepared(lease.contentDir, lease.meta, lease.hit, cacheKey, original, () => lease.release());
}

/**
 * The environment phase: picks the interpreter, resolves the requirement list, and returns a
 * ready environment — from the cache when an identical one was built before.
 * Every failure is an `EnvironmentError` with a short `reason` and an actionable message.
 */
export async function prepareEnvironment(req: EnvironmentRequest, opts: EnvironmentOptions): Promise<PreparedEnvironment> {
  try {
    return await prepare(req, opts);
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new EnvironmentError('failed preparing environment', `failed preparing environment: ${message}`, { cause: error });
  }
}
