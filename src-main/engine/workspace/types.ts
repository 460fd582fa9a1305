// The workspace phase's public shapes (see /tmp contracts: Workspace).

/** What the task's `script` says about its code. Empty strings and nulls mean "not given". */
export interface WorkspaceRequest {
  repository?: string | null;
  branch?: string | null;
  tag?: string | null;
  /** `script.version_num`: the commit to pin. */
  commit?: string | null;
  /** `script.diff`: a git patch, or (when it is not a patch) the full script body. */
  diff?: string | null;
  entryPoint?: string | null;
  workingDir?: string | null;
  taskId: string;
}

/** agent.git_* settings, already merged with their env overrides. */
export interface GitAccessOptions {
  user?: string | null;
  pass?: string | null;
  /** Only this host (`name` or `name:port`) gets the credentials and URL rewrites. */
  host?: string | null;
  forceSshProtocol: boolean;
  forceSshPort?: number | null;
  forceSshUser: string;
  translateSsh: boolean;
}

export interface WorkspaceOptions {
  /** Per-task work dir; the checkout goes to `<rootDir>/task_repository/<repo-name>`. */
  rootDir: string;
  /** vcs cache root; null disables the cache (every task clones from the origin). */
  vcsCacheDir: string | null;
  git: GitAccessOptions;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Base environment for git (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for another task holding the same cache entry (default 300 s), then go uncached. */
  vcsCacheLockTimeoutMs?: number;
}

export interface PreparedWorkspace {
  /** The checkout (or, without a repository, the fresh code folder). */
  repoDir: string;
  /** Absolute working directory of the task. */
  workingDir: string;
  entryPoint: string;
  /** Commit checked out; null without a repository. Write it back to the task when it had none. */
  resolvedCommit: string | null;
  /** The task's `script.diff` was a script body, written as the entry point file. */
  literalScript: boolean;
  /** GIT_ASKPASS and friends, for later git use in the task's environment (pip git+https installs). */
  askPassEnv: Record<string, string>;
  /** Removes the askpass helper; call when the task is done (askPassEnv stops working then). */
  cleanup(): Promise<void>;
}
