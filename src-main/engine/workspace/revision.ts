// Which revision a task wants (commit → tag → branch → the remote's default branch) and how
// it is found, in the bare cache mirror (refs/heads/*) and in the task's checkout
// (refs/remotes/origin/*).
import { WorkspaceError } from './errors.js';
import type { GitRunner } from './git-command.js';
import type { WorkspaceRequest } from './types.js';

export type RevisionSpec =
  | { kind: 'commit'; commit: string; branch: string | null }
  | { kind: 'tag'; tag: string }
  | { kind: 'branch'; branch: string }
  | { kind: 'default' };

export interface ResolvedRevision {
  commit: string;
  /** The local branch created for branch checkouts; null for a detached HEAD. */
  branch: string | null;
  description: string;
}

const COMMIT_ID = /^[0-9a-f]{4,64}$/i;
// Enough of git's ref-name rules to keep a hostile name out of argv and ref lookups.
// eslint-disable-next-line no-control-regex -- control characters are exactly what git forbids in ref names
const UNSAFE_REF = /(^-|^\/|\/$|\.\.|@\{|\/\/|[\x00-\x20\x7f~^:?*[\\]|\.lock$|^\.|\/\.)/;

function given(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function checkRefName(value: string, field: string): string {
  if (UNSAFE_REF.test(value)) {
    throw new WorkspaceError('invalid workspace request', `script.${field} '${value}' is not a valid git ref name; fix the task's ${field}.`);
  }
  return value;
}

/** The revision to check out, in the order commit → tag → branch → remote default. */
export function planRevision(req: Pick<WorkspaceRequest, 'commit' | 'tag' | 'branch'>): RevisionSpec {
  const commit = given(req.commit);
  const tag = given(req.tag);
  const branch = given(req.branch);
  if (commit) {
    if (!COMMIT_ID.test(commit)) {
      throw new WorkspaceError('invalid workspace request', `script.version_num '${commit}' is not a commit id (4–64 hex digits); fix or clear it.`);
    }
    return { kind: 'commit', commit: commit.toLowerCase(), branch: branch ? checkRefName(branch, 'branch') : null };
  }
  if (tag) return { kind: 'tag', tag: checkRefName(tag.replace(/^refs\/tags\//, ''), 'tag') };
  if (branch) return { kind: 'branch', branch: checkRefName(branch, 'branch') };
  return { kind: 'default' };
}

/** A branch as stored on tasks may carry a remote or ref prefix (`origin/main`, `refs/heads/main`). */
export function branchCandidates(branch: string): string[] {
  const stripped = branch.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\/origin\//, '');
  const noRemote = stripped.replace(/^origin\//, '');
  return [...new Set([branch, stripped, noRemote].filter((b) => b.length > 0 && !UNSAFE_REF.test(b)))];
}

export function describeRevision(spec: RevisionSpec): string {
  switch (spec.kind) {
    case 'commit':
      return `commit ${spec.commit}${spec.branch ? ` (branch ${spec.branch})` : ''}`;
    case 'tag':
      return `tag ${spec.tag}`;
    case 'branch':
      return `branch ${spec.branch}`;
    case 'default':
      return "the remote's default branch";
  }
}

async function revParse(git: GitRunner, cwd: string, rev: string): Promise<string | null> {
  const out = await git.probe(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd });
  return out ? out.stdout.trim() : null;
}

/** Whether the bare mirror already holds what the task wants without asking the remote. */
export async function mirrorHasRevision(git: GitRunner, mirrorDir: string, spec: RevisionSpec): Promise<boolean> {
  switch (spec.kind) {
    case 'commit':
      return (await revParse(git, mirrorDir, spec.commit)) !== null;
    case 'tag':
      return (await revParse(git, mirrorDir, `refs/tags/${spec.tag}`)) !== null;
    case 'branch':
    case 'default':
      // Branches move: only the remote knows where they are now.
      return false;
  }
}

/** Finds the wanted revision in a checkout whose remote refs came from the clone. */
export async function resolveRevision(git: GitRunner, repoDir: string, spec: RevisionSpec): Promise<ResolvedRevision | null> {
  switch (spec.kind) {
    case 'commit': {
      const commit = await revParse(git, repoDir, spec.commit);
      return commit ? { commit, branch: null, description: describeRevision(spec) } : null;
    }
    case 'tag': {
      const commit = await revParse(git, repoDir, `refs/tags/${spec.tag}`);
      return commit ? { commit, branch: null, description: describeRevision(spec) } : null;
    }
    case 'branch': {
      for (const candidate of branchCandidates(spec.branch)) {
        const commit = await revParse(git, repoDir, `refs/remotes/origin/${candidate}`);
        if (commit) return { commit, branch: candidate, description: `branch ${candidate}` };
      }
      return null;
    }
    case 'default': {
      const head = await git.probe(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'], { cwd: repoDir });
      const names = [head?.stdout.trim().replace(/^refs\/remotes\/origin\//, ''), 'main', 'master'].filter((n): n is string => !!n);
      for (const name of names) {
        const commit = await revParse(git, repoDir, `refs/remotes/origin/${name}`);
        if (commit) return { commit, branch: name, description: `default branch ${name}` };
      }
      return null;
    }
  }
}

/** Checks out the resolved revision: a local branch for branch checkouts, else a detached HEAD. */
export async function checkoutRevision(git: GitRunner, repoDir: string, resolved: ResolvedRevision): Promise<void> {
  if (resolved.branch) {
    await git.run(['checkout', '--force', '--quiet', '-B', resolved.branch, resolved.commit], { cwd: repoDir });
    await git.probe(['branch', '--quiet', `--set-upstream-to=origin/${resolved.branch}`, resolved.branch], { cwd: repoDir });
  } else {
    await git.run(['checkout', '--force', '--quiet', '--detach', resolved.commit], { cwd: repoDir });
  }
}
