// The workspace phase: repository → (vcs cache) → checkout → submodules → diff or literal
// script, with credentials only ever in the askpass helper's environment.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { createAskPassHelper, type AskPassHelper } from './askpass.js';
import { WorkspaceError, type WorkspaceFailureReason } from './errors.js';
import { acquireFileLock } from './file-lock.js';
import { baseGitEnv, createGitRunner, GitCommandError, isAuthFailure, withGitConfigEnv, type GitRunner } from './git-command.js';
import { createScrubber, credentialsWithoutRepository, planRepoAccess, repoNameFromUrl, type AskPassCredentials } from './repo-url.js';
import { checkoutRevision, describeRevision, planRevision, resolveRevision, type ResolvedRevision, type RevisionSpec } from './revision.js';
import { applyPatch, classifyScriptDiff, literalScriptFileName, writeLiteralScript, type ScriptDiff } from './script-diff.js';
import type { PreparedWorkspace, WorkspaceOptions, WorkspaceRequest } from './types.js';
import { describeFsError, isFileSystemError, unwritableReason } from '../environment/writable-dir.js';
import { cacheEntryPaths, cloneMirror, cloneWithoutCache, syncMirror } from './vcs-cache.js';

const DEFAULT_CACHE_LOCK_TIMEOUT_MS = 300_000;

function given(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** `child` resolved under `base`, refusing anything that climbs out of it. */
function insideDir(base: string, child: string | null, field: string): string {
  const target = resolve(base, child ?? '.');
  const rel = relative(base, target);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new WorkspaceError('invalid workspace request', `script.${field} '${child}' points outside the task's code folder; use a path relative to the repository root.`);
  }
  return target;
}

const CLONE_HINT = 'Check the URL, that the commit/branch was pushed, and that the agent can read the repository (agent.git_user/git_pass for https, an ssh key for ssh)';
const AUTH_HINT =
  'The server asked for credentials the agent could not give: set agent.git_user and agent.git_pass (a token) for https — ' +
  'and agent.git_host if they belong to another host — or use an ssh URL with a key the agent can read';

const HOST_KEY_FAILURE = /Host key verification failed/i;
const HOST_KEY_HINT =
  "The ssh host key of the git server is not in the agent user's ~/.ssh/known_hosts (ssh runs in batch mode and never asks): " +
  'add it once, e.g. ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts';

/** Runs a git step, turning a git failure into the WorkspaceError the task is failed with. */
async function gitStep<T>(reason: WorkspaceFailureReason, what: string, hint: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    const detail = error.stderr || error.message;
    const advice = !hint ? '' : HOST_KEY_FAILURE.test(detail) ? HOST_KEY_HINT : isAuthFailure(detail) ? AUTH_HINT : hint;
    throw new WorkspaceError(reason, `${what}: ${detail}${advice ? `. ${advice}` : ''}`);
  }
}

function describeCredentials(credentials: AskPassCredentials): string {
  const from = credentials.source === 'url' ? 'the repository URL' : 'agent.git_user/git_pass';
  return `git credentials from ${from} are offered through GIT_ASKPASS ${credentials.host ? `to host ${credentials.host} only` : 'to any host (set agent.git_host to restrict them)'}`;
}

/** Clone (through the cache when there is one) into repoDir, without checking anything out. */
async function materializeRepository(opts: {
  git: GitRunner;
  fetchUrl: string;
  repoDir: string;
  spec: RevisionSpec;
  vcsCacheDir: string | null;
  lockTimeoutMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<void> {
  const { git, fetchUrl, repoDir, spec, log } = opts;
  if (opts.vcsCacheDir) {
    const cacheDir = resolve(opts.vcsCacheDir);
    const unwritable = await unwritableReason(cacheDir);
    if (unwritable) {
      log(vcsCacheWarning(cacheDir, unwritable));
    } else {
      try {
        if (await cloneThroughCache({ ...opts, cacheDir })) return;
      } catch (error) {
        // The cache itself failed (an entry of another user, a full disk): clone without it.
        if (!isFileSystemError(error)) throw error;
        log(vcsCacheWarning(cacheDir, await describeFsError(error, cacheDir)));
        await rm(repoDir, { recursive: true, force: true });
      }
    }
  }
  await gitStep('failed cloning repository', `failed cloning repository ${fetchUrl}`, CLONE_HINT, () => cloneWithoutCache(git, fetchUrl, repoDir, spec));
}

function vcsCacheWarning(dir: string, reason: string): string {
  return (
    `WARNING: vcs cache ${dir} cannot be used (${reason}); this task clones without it. ` +
    'Make the folder writable for the agent user, or set agent.vcs_cache.path to a writable folder (or agent.vcs_cache.enabled: false).'
  );
}

/** Clone through the vcs cache; false when its entry stayed locked too long (clone without it). */
async function cloneThroughCache(opts: {
  git: GitRunner;
  fetchUrl: string;
  repoDir: string;
  spec: RevisionSpec;
  cacheDir: string;
  lockTimeoutMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<boolean> {
  const { git, fetchUrl, repoDir, spec, log } = opts;
  const paths = cacheEntryPaths(opts.cacheDir, fetchUrl);
  const lock = await acquireFileLock(paths.lockPath, {
    timeoutMs: opts.lockTimeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onWait: (holder) => log(`vcs cache: ${paths.entryDir} is in use by ${holder}; waiting`),
  });
  if (lock) {
    try {
      const outcome = await gitStep('failed cloning repository', `failed cloning repository ${fetchUrl}`, CLONE_HINT, () =>
        syncMirror({ git, fetchUrl, paths, spec, log }),
      );
      log(`vcs cache: ${outcome === 'hit' ? 'hit, no fetch needed' : outcome} (${paths.entryDir})`);
      // A local clone hard-links the mirror's objects: fast, and independent of later evictions.
      const cloneFromMirror = () => git.run(['clone', '--no-checkout', '--quiet', '--', paths.mirrorDir, repoDir]);
      try {
        await cloneFromMirror();
      } catch (error) {
        if (!(error instanceof GitCommandError)) throw error;
        // A fetch doesn't notice objects lost from the mirror; a clone from it does.
        log(`vcs cache: cloning from the cache failed (${error.stderr}); re-cloning the cache entry`);
        await rm(repoDir, { recursive: true, force: true });
        await gitStep('failed cloning repository', `failed cloning repository ${fetchUrl}`, CLONE_HINT, () => cloneMirror(git, fetchUrl, paths));
        await gitStep('failed cloning repository', `failed cloning from the vcs cache ${paths.mirrorDir}`, '', cloneFromMirror);
      }
    } finally {
      await lock.release();
    }
    // The checkout's origin is the real remote, so relative submodule URLs and later fetches work.
    await git.run(['remote', 'set-url', 'origin', fetchUrl], { cwd: repoDir, quiet: true });
    return true;
  }
  log(`vcs cache: ${paths.entryDir} still in use after ${Math.round(opts.lockTimeoutMs / 1000)} s; cloning without the cache`);
  return false;
}

async function updateSubmodules(git: GitRunner, repoDir: string, log: (line: string) => void): Promise<void> {
  if (!existsSync(join(repoDir, '.gitmodules'))) return;
  try {
    await git.run(['submodule', 'update', '--init', '--recursive', '--quiet'], { cwd: repoDir });
  } catch (error) {
    // Like clearml-agent, a submodule that can't be fetched doesn't fail the task (many repos
    // carry stale submodules the code never uses) — but the reason is logged loudly.
    if (!(error instanceof GitCommandError)) throw error;
    log(`WARNING: git submodule update failed, continuing without some submodules: ${error.stderr}`);
  }
}

async function prepareRepository(opts: {
  req: WorkspaceRequest;
  fetchUrl: string;
  rootDir: string;
  script: ScriptDiff;
  git: GitRunner;
  options: WorkspaceOptions;
  log: (line: string) => void;
}): Promise<{ repoDir: string; workingDir: string; entryPoint: string; resolved: ResolvedRevision }> {
  const { req, fetchUrl, rootDir, script, git, options, log } = opts;
  const spec = planRevision(req);
  const repoDir = join(rootDir, 'task_repository', repoNameFromUrl(fetchUrl));
  // A rerun of the same task starts from a clean checkout.
  await rm(repoDir, { recursive: true, force: true });
  await mkdir(join(rootDir, 'task_repository'), { recursive: true });
  log(`workspace: ${fetchUrl} at ${describeRevision(spec)} into ${repoDir}`);

  await materializeRepository({
    git,
    fetchUrl,
    repoDir,
    spec,
    vcsCacheDir: options.vcsCacheDir,
    lockTimeoutMs: options.vcsCacheLockTimeoutMs ?? DEFAULT_CACHE_LOCK_TIMEOUT_MS,
    log,
    ...(options.signal ? { signal: options.signal } : {}),
  });

  const resolved = await resolveRevision(git, repoDir, spec);
  if (!resolved) {
    const hint = spec.kind === 'commit' ? 'push the commit to the remote (or clear script.version_num to use the branch)' : 'check the task\'s script.branch / script.tag';
    throw new WorkspaceError('revision not found', `${describeRevision(spec)} not found in ${fetchUrl}: ${hint}.`);
  }
  await gitStep('failed checking out revision', `failed checking out ${resolved.description} (${resolved.commit})`, '', () => checkoutRevision(git, repoDir, resolved));
  log(`workspace: checked out ${resolved.description} = ${resolved.commit}`);
  await updateSubmodules(git, repoDir, log);

  if (script.kind === 'patch') {
    const how = await applyPatch({ git, repoDir, patch: script.patch, log });
    log(how === 'applied' ? 'workspace: applied the uncommitted changes (script.diff)' : 'workspace: applied the uncommitted changes (script.diff) with a three-way merge');
  }
  const workingDir = insideDir(repoDir, given(req.workingDir), 'working_dir');
  let entryPoint = given(req.entryPoint) ?? '';
  if (script.kind === 'literal') {
    entryPoint = await writeTaskScript(req, workingDir, script.body, log);
  }
  if (!existsSync(workingDir)) {
    throw new WorkspaceError('invalid workspace request', `script.working_dir '${given(req.workingDir)}' does not exist in ${fetchUrl} at ${resolved.commit}; fix the task's working directory.`);
  }
  return { repoDir, workingDir, entryPoint, resolved };
}

async function prepareWithoutRepository(opts: {
  req: WorkspaceRequest;
  rootDir: string;
  script: ScriptDiff;
  log: (line: string) => void;
}): Promise<{ repoDir: string; workingDir: string; entryPoint: string }> {
  const { req, rootDir, script, log } = opts;
  if (script.kind === 'patch') {
    throw new WorkspaceError('failed applying git diff', 'script.diff holds a git patch but the task has no repository (script.repository) to apply it to; set the repository or clear the diff.');
  }
  const codeDir = join(rootDir, 'code');
  await rm(codeDir, { recursive: true, force: true });
  const workingDir = insideDir(codeDir, given(req.workingDir), 'working_dir');
  await mkdir(workingDir, { recursive: true });
  if (script.kind === 'none') {
    log('WARNING: the task has no repository and no script; it runs in an empty folder');
    return { repoDir: codeDir, workingDir, entryPoint: given(req.entryPoint) ?? '' };
  }
  const entryPoint = await writeTaskScript(req, workingDir, script.body, log);
  log(`workspace: no repository; the task's script is in ${workingDir}`);
  return { repoDir: codeDir, workingDir, entryPoint };
}

/**
 * Writes a literal script; returns the entry point to run. A `-m`/`-c` entry point names no
 * file: it stays what runs, and the body is kept as script.py beside it.
 */
async function writeTaskScript(req: WorkspaceRequest, workingDir: string, body: string, log: (line: string) => void): Promise<string> {
  const fileName = literalScriptFileName(req.entryPoint);
  const requested = given(req.entryPoint);
  if (requested?.startsWith('-')) log(`WARNING: entry point '${requested}' names no file; the task's script was written as ${fileName} and the entry point is kept`);
  await writeLiteralScript({ path: insideDir(workingDir, fileName, 'entry_point'), body, log });
  return requested?.startsWith('-') ? requested : fileName;
}

function checkOptions(req: WorkspaceRequest, opts: WorkspaceOptions): void {
  if (typeof opts.rootDir !== 'string' || opts.rootDir.trim() === '') {
    throw new WorkspaceError('invalid workspace request', 'prepareWorkspace: rootDir (the per-task work folder) is required');
  }
  if (typeof req.taskId !== 'string' || req.taskId.trim() === '') {
    throw new WorkspaceError('invalid workspace request', 'prepareWorkspace: taskId is required');
  }
}

/** Env entries the workspace added on top of the base env (what the task's own git needs). */
function addedEnv(base: NodeJS.ProcessEnv, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (base[key] !== value) out[key] = value;
  return out;
}

export async function prepareWorkspace(req: WorkspaceRequest, opts: WorkspaceOptions): Promise<PreparedWorkspace> {
  checkOptions(req, opts);
  const rootDir = resolve(opts.rootDir);
  const repository = given(req.repository);
  const script = classifyScriptDiff(req.diff);
  const plan = repository ? planRepoAccess(repository, opts.git) : null;
  const credentials = plan ? plan.credentials : credentialsWithoutRepository(opts.git);
  const scrub = createScrubber([opts.git.pass, credentials?.pass, credentials?.source === 'url' && !credentials.pass ? credentials.user : null]);
  const log = (line: string) => opts.log(scrub(line));

  let askPass: AskPassHelper | null = null;
  try {
    opts.signal?.throwIfAborted();
    await mkdir(rootDir, { recursive: true });
    if (credentials) askPass = await createAskPassHelper(credentials, req.taskId);
    const baseEnv = opts.env ?? process.env;
    // An empty credential.helper resets the user's helpers for our git processes, so a
    // `store` helper never writes the task's token to ~/.git-credentials.
    // Without credentials GIT_ASKPASS is set empty: git then asks no program at all, so an
    // askpass inherited from a desktop session (SSH_ASKPASS, an IDE's) can't pop up and hang.
    const gitEnv = withGitConfigEnv({ ...baseGitEnv(baseEnv), ...(askPass?.env ?? { GIT_ASKPASS: '' }) }, credentials ? [['credential.helper', '']] : []);
    const git = createGitRunner({ env: gitEnv, log, scrub, ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const note of plan?.notes ?? []) log(`workspace: ${note}`);
    if (credentials) log(`workspace: ${describeCredentials(credentials)}`);

    const prepared = plan
      ? await prepareRepository({ req, fetchUrl: plan.fetchUrl, rootDir, script, git, options: opts, log })
      : { ...(await prepareWithoutRepository({ req, rootDir, script, log })), resolved: null };

    const helper = askPass;
    return {
      repoDir: prepared.repoDir,
      workingDir: prepared.workingDir,
      entryPoint: prepared.entryPoint,
      resolvedCommit: prepared.resolved?.commit ?? null,
      literalScript: script.kind === 'literal',
      askPassEnv: addedEnv(baseEnv, gitEnv),
      cleanup: async () => {
        await helper?.remove();
      },
    };
  } catch (error) {
    await askPass?.remove();
    if (error instanceof WorkspaceError) throw new WorkspaceError(error.reason, scrub(error.message));
    if (opts.signal?.aborted) throw new WorkspaceError('cancelled', 'workspace preparation was cancelled');
    const message = scrub(error instanceof Error ? error.message : String(error));
    throw new WorkspaceError(repository ? 'failed cloning repository' : 'failed writing script', `workspace preparation failed: ${message}`);
  }
}
