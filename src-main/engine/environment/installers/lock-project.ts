import { access } from 'node:fs/promises';
import path from 'node:path';

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export type LockProject = { found: true; dir: string; lockFile: string } | { found: false; why: string };

/**
 * Where poetry/uv mode looks for `pyproject.toml` + its lock file: the repository root, or the
 * task's working dir with `*_files_from_repo_working_dir` (clearml-agent's rule). Without both
 * files the mode falls back to pip, and `why` says which file is missing where.
 */
export async function findLockProject(opts: { repoDir: string; workingDir: string; fromWorkingDir: boolean; lockName: string; setting: string }): Promise<LockProject> {
  const dir = path.resolve(opts.fromWorkingDir ? opts.workingDir : opts.repoDir);
  const where = opts.fromWorkingDir ? `the working dir ${dir} (${opts.setting} is set)` : `the repository root ${dir}`;
  const hasProject = await exists(path.join(dir, 'pyproject.toml'));
  const lockFile = path.join(dir, opts.lockName);
  const hasLock = await exists(lockFile);
  if (hasProject && hasLock) return { found: true, dir, lockFile };
  const missing = [hasProject ? null : 'pyproject.toml', hasLock ? null : opts.lockName].filter(Boolean).join(' and ');
  return { found: false, why: `no ${missing} in ${where}` };
}
