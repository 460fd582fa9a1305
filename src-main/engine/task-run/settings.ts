import type { WorkspaceOptions } from '../workspace/index.js';
import type { EnvironmentOptions } from '../environment/index.js';

/**
 * Everything one task run needs to know about the machine and the agent's configuration,
 * already resolved (paths absolute, secrets separated), so the phases never read config.
 */
export interface TaskRunSettings {
  /** Per-task work directories are created below this. */
  readonly workRoot: string;
  readonly spoolDir: string;
  readonly vcsCacheDir: string | null;
  /** Repositories kept in the vcs cache (least recently used beyond it are evicted after a task). */
  readonly vcsCacheMaxEntries?: number;
  readonly git: WorkspaceOptions['git'];
  readonly environment: Omit<EnvironmentOptions, 'env' | 'log' | 'signal'>;
  /** The environment the agent runs with (config `environment {}` applied). */
  readonly baseEnv: Record<string, string | undefined>;
  readonly gpuEnv: Record<string, string | undefined>;
  readonly forceGitRootPythonPath: boolean;
  readonly enableTaskEnv: boolean;
  readonly suppressCarriageReturn: boolean;
  readonly abortPollIntervalMs: number;
  readonly abortGraceMs: number;
  readonly pingIntervalMs: number;
  /** Wall-clock limit for the task process; 0 = none. */
  readonly timeoutSec: number;
  readonly logLevel?: string;
  readonly optimizeLevel?: number;
  /** What the task's SDK gets as its clearml.conf (JSON is valid HOCON); holds credentials. */
  readonly childConfig: Record<string, unknown>;
  /** Values never to appear in shipped logs (API secret, git password, ...). */
  readonly secrets: readonly string[];
  /** Skip clone and installs; run with what is there (clearml-agent --standalone-mode). */
  readonly standalone: boolean;
  /** Skip the venv and installs: `CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL`. */
  readonly skipPythonEnvInstall: boolean;
  /**
   * `CLEARML_AGENT_SKIP_PIP_VENV_INSTALL`: no venv, requirements installed into the interpreter
   * itself — the default one (true) or the one at this path (string).
   */
  readonly skipPipVenvInstall?: boolean | string;
}
