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
  frozenRequirements: string[];
  originalRequirements: string | null;
  /** Marks a cached environment unused again, or deletes an uncached one. Idempotent. */
  release(): Promise<void>;
}
