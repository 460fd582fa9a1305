import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuildPlan, BuiltEnvironment } from './build-environment.js';
import { buildEnvironment, installPlan, pythonRuns } from './build-environment.js';
import { planBuild } from './build-plan.js';
import type { CacheKeyInput } from './cache-key.js';
import { computeCacheKey, pipSettingsFromEnv } from './cache-key.js';
import { useCacheEntry } from './env-cache.js';
import { EnvironmentError, throwIfCancelled } from './errors.js';
import { reportableFrozenLines, requirementsReport } from './frozen-requirements.js';
import type { BuildContext, EnvironmentBuilder } from './installers/builder.js';
import { condaBuilder } from './installers/conda.js';
import { requireTool } from './installers/find-tool.js';
import { findLockProject } from './installers/lock-project.js';
import { pipBuilder, pipFreeze } from './installers/pip.js';
import { installPoetryProject } from './installers/poetry.js';
import { resolveTool } from './installers/tool-version.js';
import { uvBuilder } from './installers/uv.js';
import { installUvProject } from './installers/uv-lock.js';
import type { InterpreterInfo } from './interpreter.js';
import { probeInterpreter, resolveInterpreter } from './interpreter.js';
import { describeIndexes } from './pip-indexes.js';
import { setUpPip, validatePipSettings } from './pip-setup.js';
import type { ResolvedRequirements } from './requirement-sources.js';
import { resolveRequirementSources } from './requirement-sources.js';
import { planRequirements } from './requirements.js';
import type { EnvironmentOptions, EnvironmentRequest, PackageManagerType, PreparedEnvironment } from './types.js';
import { createUncachedEnvDir, removeEnvDir } from './uncached-venv.js';
import { isFileSystemError, describeFsError, unwritableReason } from './writable-dir.js';

export { EnvironmentError } from './errors.js';
export { environmentOptionsFromConfig } from './options-from-config.js';
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
  | { mode: 'poetry'; projectDir: string; lockFile: string }
  | { mode: 'uv-lock'; uv: string; projectDir: string; lockFile: string };

/** Checks the package manager's tool first, so a missing one fails before anything is built. */
async function choosePackageManager(req: EnvironmentRequest, opts: EnvironmentOptions, base: InterpreterInfo, ctx: BuildContext): Promise<ModeChoice> {
  const env = ctx.env;
  switch (opts.packageManager) {
    case 'pip':
      return { mode: 'builder', builder: pipBuilder, effective: 'pip' };
    case 'uv': {
      const uv = await resolveTool({ tool: 'uv', mode: 'uv', versionSpec: opts.uv?.version, toolsDir: toolsDir(opts), base, indexLines: [] }, ctx);
      const project = await findLockProject({
        repoDir: req.repoDir,
        workingDir: req.workingDir,
        fromWorkingDir: opts.uv?.filesFromRepoWorkingDir ?? false,
        lockName: 'uv.lock',
        setting: 'agent.package_manager.uv_files_from_repo_working_dir',
      });
      if (project.found) return { mode: 'uv-lock', uv, projectDir: project.dir, lockFile: project.lockFile };
      opts.log(`Package manager uv: ${project.why}; installing the task's requirements with uv pip`);
      return { mode: 'builder', builder: uvBuilder(uv), effective: 'uv' };
    }
    case 'conda':
      return { mode: 'builder', builder: condaBuilder(await requireTool('conda', 'conda', env), opts.conda?.channels ?? []), effective: 'conda' };
    case 'poetry': {
      const project = await findLockProject({
        repoDir: req.repoDir,
        workingDir: req.workingDir,
        fromWorkingDir: opts.poetry?.filesFromRepoWorkingDir ?? false,
        lockName: 'poetry.lock',
        setting: 'agent.package_manager.poetry_files_from_repo_working_dir',
      });
      if (!project.found) {
        opts.log(`Package manager poetry: ${project.why}; installing the task's requirements with pip, as clearml-agent does`);
        return { mode: 'builder', builder: pipBuilder, effective: 'pip' };
      }
      return { mode: 'poetry', projectDir: project.dir, lockFile: project.lockFile };
    }
    default:
      throw new EnvironmentError(
        `unknown package manager ${String(opts.packageManager)}`,
        `agent.package_manager.type is "${String(opts.packageManager)}"; use one of pip, uv, poetry, conda.`,
      );
  }
}

const PACKAGE_MANAGERS: readonly string[] = ['pip', 'uv', 'poetry', 'conda'];

function checkPackageManagerType(type: string): void {
  if (!PACKAGE_MANAGERS.includes(type)) {
    throw new EnvironmentError(`unknown package manager ${type}`, `agent.package_manager.type is "${type}"; use one of ${PACKAGE_MANAGERS.join(', ')}.`);
  }
}

function toolsDir(opts: EnvironmentOptions): string {
  return path.join(opts.venvsDir, '.tools');
}

/** A lock-file install (poetry, uv sync): the lock decides, the task's list is not used; never cached. */
async function prepareLockProject(
  choice: Extract<ModeChoice, { mode: 'poetry' | 'uv-lock' }>,
  base: InterpreterInfo,
  resolved: ResolvedRequirements,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  let installed: { venvDir: string; python: string };
  if (choice.mode === 'poetry') {
    const poetry = await resolveTool({ tool: 'poetry', mode: 'poetry', versionSpec: opts.poetry?.version, toolsDir: toolsDir(opts), base, indexLines: [] }, ctx);
    opts.log(`Package manager poetry: installing from ${choice.lockFile} (the task's package list is not used)`);
    installed = await installPoetryProject({ poetry, projectDir: choice.projectDir, lockFile: choice.lockFile, base, installExtraArgs: opts.poetry?.installExtraArgs ?? [], ctx });
  } else {
    opts.log(`Package manager uv: installing from ${choice.lockFile} (the task's package list is not used)`);
    installed = await installUvProject({
      uv: choice.uv,
      projectDir: choice.projectDir,
      lockFile: choice.lockFile,
      base,
      cacheDir: path.join(opts.venvsDir, 'uv-cache'),
      syncExtraArgs: opts.uv?.syncExtraArgs ?? [],
      ctx,
    });
  }
  const probe = await probeInterpreter(installed.python, ctx.env, ctx.signal);
  if (!probe.ok) throw new EnvironmentError('failed creating environment', `the environment's python (${installed.python}) does not run: ${probe.problem}`);
  const frozenRequirements = reportableFrozenLines(await pipFreeze(installed.python, ctx));
  return {
    pythonExecutable: installed.python,
    venvDir: installed.venvDir,
    pythonVersion: probe.info.version,
    cacheHit: false,
    cacheKey: computeCacheKey({
      packageManager: choice.mode === 'poetry' ? 'poetry' : 'uv',
      python: base,
      systemSitePackages: opts.systemSitePackages,
      extraIndexUrls: opts.extraIndexUrls,
      extraPipInstallFlags: opts.extraPipInstallFlags,
      requirements: frozenRequirements,
    }),
    frozenRequirements,
    originalRequirements: resolved.originalRequirements,
    requirementsReport: requirementsReport(frozenRequirements, resolved.originalRequirements),
    release: async () => undefined,
  };
}

function report(builder: EnvironmentBuilder, frozen: string[], original: string | null, opts: EnvironmentOptions): PreparedEnvironment['requirementsReport'] {
  // clearml-agent writes a conda environment back only with conda_full_env_update.
  if (builder.name === 'conda' && !opts.conda?.fullEnvUpdate) return null;
  return requirementsReport(frozen, original);
}

function prepared(
  builder: EnvironmentBuilder,
  envDir: string,
  built: BuiltEnvironment,
  cacheHit: boolean,
  cacheKey: string,
  original: string | null,
  opts: EnvironmentOptions,
  release: () => Promise<void>,
): PreparedEnvironment {
  return {
    pythonExecutable: path.join(envDir, built.pythonRelative),
    venvDir: envDir,
    pythonVersion: built.pythonVersion,
    cacheHit,
    cacheKey,
    frozenRequirements: built.frozenRequirements,
    originalRequirements: original,
    requirementsReport: report(builder, built.frozenRequirements, original, opts),
    release,
  };
}

async function buildUncached(
  builder: EnvironmentBuilder,
  base: InterpreterInfo,
  plan: BuildPlan,
  cacheKey: string,
  original: string | null,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  const runDir = await createUncachedEnvDir(opts.venvsDir, base.version);
  const envDir = path.join(runDir, 'env');
  try {
    const built = await buildEnvironment(builder, envDir, base, plan, ctx);
    let released = false;
    return prepared(builder, envDir, built, false, cacheKey, original, opts, async () => {
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
  plan: BuildPlan,
  original: string | null,
  opts: EnvironmentOptions,
  ctx: BuildContext,
): Promise<PreparedEnvironment> {
  // The interpreter as named (a venv's python is a link to its base: the link is what we want).
  const python = opts.pythonBinary && path.isAbsolute(opts.pythonBinary) ? opts.pythonBinary : base.executable;
  opts.log(`Installing into ${python} itself (no virtual environment)`);
  // pip_version is not applied here: this pip belongs to the image or machine, not to the agent.
  const installFlags = builder.usesPip ? await setUpPip(python, base.version, plan.indexLines, plan.pip, ctx, false) : [];
  const buildCtx = { ...ctx, installFlags };
  await installPlan(builder, python, plan, buildCtx);
  const frozenRequirements = reportableFrozenLines(await builder.freeze(python, buildCtx), plan.directTorchUrls);
  return {
    pythonExecutable: python,
    venvDir: base.prefix,
    pythonVersion: base.version,
    cacheHit: false,
    cacheKey: '',
    frozenRequirements,
    originalRequirements: original,
    requirementsReport: report(builder, frozenRequirements, original, opts),
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
    requirementsReport: null,
    release: async () => undefined,
  };
}

function cacheWarning(dir: string, reason: string): string {
  return (
    `WARNING: environment cache ${dir} cannot be used (${reason}); this task runs without it, building a fresh environment. ` +
    'Make the folder writable for the agent user, or set agent.venvs_cache.path (env CLEARML_AGENT_VENV_CACHE_PATH) to a writable folder, or to "" to turn the cache off.'
  );
}

/**
 * pip's cache (agent.pip_download_cache.path): used when writable; otherwise pip runs without a
 * cache and the log says why, once. A PIP_CACHE_DIR / PIP_NO_CACHE_DIR of the caller wins.
 */
async function setUpPipCache(opts: EnvironmentOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = opts.pipCacheDir;
  if (!dir || env.PIP_CACHE_DIR || env.PIP_NO_CACHE_DIR) return;
  const reason = await unwritableReason(dir);
  if (reason === null) {
    env.PIP_CACHE_DIR = dir;
    return;
  }
  opts.log(
    `WARNING: pip cache ${dir} cannot be used (${reason}); pip runs without a cache for this task (every package is downloaded). ` +
      'Make the folder writable for the agent user, or set agent.pip_download_cache.path to a writable folder (or agent.pip_download_cache.enabled: false).',
  );
  env.PIP_NO_CACHE_DIR = '1';
}

async function prepare(req: EnvironmentRequest, opts: EnvironmentOptions): Promise<PreparedEnvironment> {
  throwIfCancelled(opts.signal);
  const env = toolEnvironment(opts.env);
  const requirementOptionLines: string[] = [];
  let currentIndexLines: string[] = [];
  const ctx: BuildContext = {
    env,
    log: opts.log,
    signal: opts.signal,
    extraPipInstallFlags: opts.extraPipInstallFlags,
    systemSitePackages: opts.systemSitePackages,
    installFlags: [],
    describeIndexes: () => describeIndexes({ indexLines: currentIndexLines, requirementOptionLines, extraPipInstallFlags: opts.extraPipInstallFlags, env }),
  };
  if (req.skipInstall) return useInterpreterAsIs(req, opts, env);
  checkPackageManagerType(opts.packageManager);
  const base = await resolveInterpreter(req.binary, opts, env, opts.signal);
  opts.log(`Python ${base.version}: ${base.executable}`);
  const choice = await choosePackageManager(req, opts, base, ctx);
  validatePipSettings({ pipVersion: opts.pipVersion ?? [], legacyResolver: opts.pipLegacyResolver ?? [], forceUpgrade: false }, base.version);
  await setUpPipCache(opts, env);

  const resolved = await resolveRequirementSources(req.requirements, req.repoDir, req.workingDir, opts);
  if (choice.mode !== 'builder') return prepareLockProject(choice, base, resolved, opts, ctx);

  const { builder } = choice;
  opts.log(resolved.description);
  const requirements = planRequirements(resolved.sources, { pathExists: existsSync });
  for (const warning of requirements.warnings) opts.log(`WARNING: ${warning}`);
  const { plan, keyParts } = await planBuild(requirements.installLines, base, opts, env, builder.usesPip);
  currentIndexLines = plan.indexLines;
  requirementOptionLines.push(...plan.install.optionLines);
  const original = resolved.originalRequirements;
  if (req.installIntoInterpreter) return installIntoInterpreter(builder, base, plan, original, opts, ctx);

  const keyInput: CacheKeyInput = {
    packageManager: choice.effective,
    python: base,
    systemSitePackages: opts.systemSitePackages,
    extraIndexUrls: opts.extraIndexUrls,
    extraPipInstallFlags: opts.extraPipInstallFlags,
    requirements: requirements.keyLines,
    pipEnvironment: pipSettingsFromEnv(env),
    ...keyParts,
  };
  const cacheKey = computeCacheKey(keyInput);
  const uncached = () => buildUncached(builder, base, plan, cacheKey, original, opts, ctx);

  if (!opts.cache) return uncached();
  if (requirements.uncacheableReason) {
    opts.log(`Environment cache: not caching this environment: ${requirements.uncacheableReason}`);
    return uncached();
  }
  const cache = opts.cache;
  const unwritable = await unwritableReason(cache.dir);
  if (unwritable) {
    opts.log(cacheWarning(cache.dir, unwritable));
    return uncached();
  }

  let building = false;
  let outcome;
  try {
    outcome = await useCacheEntry<BuiltEnvironment>({ ...cache, log: opts.log, signal: opts.signal }, cacheKey, {
      isUsable: (contentDir, meta) => pythonRuns(path.join(contentDir, meta.pythonRelative)),
      build: (contentDir) => {
        building = true;
        opts.log(`Environment cache: miss for ${cacheKey}; building`);
        return buildEnvironment(builder, contentDir, base, plan, ctx);
      },
    });
  } catch (error) {
    // The cache itself failed (an entry or lock of another user, a full disk): the task goes on without it.
    if (building || !isFileSystemError(error)) throw error;
    opts.log(cacheWarning(cache.dir, await describeFsError(error, cache.dir)));
    return uncached();
  }
  if (outcome.kind === 'not-cached') {
    opts.log(`Environment cache: not caching this environment: ${outcome.reason}`);
    return uncached();
  }
  const { lease } = outcome;
  if (lease.hit) opts.log(`Environment cache: hit ${cacheKey} (${lease.meta.frozenRequirements.length} packages, python ${lease.meta.pythonVersion})`);
  return prepared(builder, lease.contentDir, lease.meta, lease.hit, cacheKey, original, opts, () => lease.release());
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
