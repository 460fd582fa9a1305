import type { TorchOptions } from './pytorch.js';

export type PackageManagerType = 'pip' | 'uv' | 'poetry' | 'conda';

/** `script.requirements` as stored on a task; other keys (conda, org_conda, ...) are ignored. */
export interface TaskRequirements {
  pip?: string | string[] | null;
  org_pip?: string | string[] | null;
}

export interface EnvironmentRequest {
  /** `script.binary` of the task, e.g. `python3.10`; empty/null means "no preference". */
  binary: string | null | undefined;
  requirements: TaskRequirements | null;
  /** Root of the checked-out repository (also used when the task has no repository). */
  repoDir: string;
  /** Absolute directory the entry point runs in. */
  workingDir: string;
  /**
   * Use the selected interpreter as it is: no venv, nothing installed, nothing frozen
   * (standalone mode, CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL).
   */
  skipInstall?: boolean;
  /**
   * No venv, but the requirements are installed into the selected interpreter itself
   * (CLEARML_AGENT_SKIP_PIP_VENV_INSTALL, for images that carry their own python).
   */
  installIntoInterpreter?: boolean;
}

export interface EnvironmentCacheOptions {
  dir: string;
  maxEntries: number;
  freeSpaceThresholdGb: number;
  /** A cache lock whose holder stopped heart-beating for this long is considered abandoned. */
  lockTimeoutSec: number;
}

export interface EnvironmentOptions {
  pythonBinary?: string | null;
  defaultPython?: string | null;
  ignoreRequestedPythonVersion: boolean;
  packageManager: PackageManagerType;
  extraIndexUrls: string[];
  extraPipInstallFlags: string[];
  forceRepoRequirementsTxt: boolean;
  forceOriginalRequirements: boolean;
  systemSitePackages: boolean;
  /** Where environments that are not cached are built (one fresh folder per run). */
  venvsDir: string;
  cache: EnvironmentCacheOptions | null;
  /**
   * agent.package_manager.pip_version: constraints for pip inside each new venv, with markers
   * (`"<22.3 ; python_version <= '3.11'"`); a bare version means `==`. Absent or [] → pip as bundled.
   */
  pipVersion?: string[];
  /** agent.package_manager.pip_legacy_resolver: pip versions that get `--use-deprecated=legacy-resolver`. */
  pipLegacyResolver?: string[];
  /** agent.package_manager.force_upgrade: `--upgrade` on every install. */
  forceUpgrade?: boolean;
  priorityPackages?: string[];
  priorityOptionalPackages?: string[];
  postPackages?: string[];
  postOptionalPackages?: string[];
  /** agent.package_manager.pytorch_resolve and the torch_* / *_index_url_template keys. */
  torch?: Partial<TorchOptions>;
  /**
   * CUDA version as digits (agent.cuda_version: `121`); null or `0` → no GPU (cpu wheels);
   * undefined → read from `nvidia-smi` when a torch package is to be installed.
   */
  cudaVersion?: string | null;
  /** agent.package_manager.poetry_version / poetry_install_extra_args / poetry_files_from_repo_working_dir. */
  poetry?: { version?: string | null; installExtraArgs?: string[]; filesFromRepoWorkingDir?: boolean };
  /** agent.package_manager.uv_version / uv_sync_extra_args / uv_files_from_repo_working_dir. */
  uv?: { version?: string | null; syncExtraArgs?: string[]; filesFromRepoWorkingDir?: boolean };
  /** agent.package_manager.conda_channels / conda_full_env_update. */
  conda?: { channels?: string[]; fullEnvUpdate?: boolean };
  /**
   * pip's cache folder (agent.pip_download_cache.path when enabled); null/absent → pip's own
   * default. Not used when the caller's env sets PIP_CACHE_DIR or PIP_NO_CACHE_DIR.
   */
  pipCacheDir?: string | null;
  /** Environment for every child process (PATH lookup, GIT_ASKPASS for git+https requirements). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface PreparedEnvironment {
  pythonExecutable: string;
  /** The environment's folder (with skipInstall: the interpreter's own `sys.prefix`). */
  venvDir: string;
  /** `X.Y.Z` of the environment's interpreter. */
  pythonVersion: string;
  cacheHit: boolean;
  /** sha256 of everything that determines the environment (reported even when not cached). */
  cacheKey: string;
  /** `pip freeze` of the environment, credentials removed from URLs, direct torch URLs mapped back. */
  frozenRequirements: string[];
  originalRequirements: string | null;
  /**
   * What to send with tasks.set_requirements after the build — the frozen list as `pip`, the
   * developer's original list as `org_pip` (moved there the first time, kept afterwards) — or
   * null when nothing should be written back (nothing installed; conda without
   * conda_full_env_update).
   */
  requirementsReport: { pip: string; org_pip: string | null } | null;
  /** Marks a cached environment unused again, or deletes an uncached one. Idempotent. */
  release(): Promise<void>;
}
