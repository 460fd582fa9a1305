// Runs git (argv, never a shell) with the task's environment; every line that reaches the
// log or an error message goes through the scrubber first.
import { runCommand } from '../process/index.js';
import { WorkspaceError } from './errors.js';

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** A git command that exited non-zero; `stderr` is already scrubbed. */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`${command} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}${stderr ? `: ${stderr}` : ''}`);
  }
}

const AUTH_FAILURE = /could not read (Username|Password)|Authentication failed|terminal prompts disabled|HTTP Basic: Access denied|Permission denied \(publickey|The requested URL returned error: 40[13]/i;

/** Whether git's stderr says the server refused (or asked for) credentials. */
export function isAuthFailure(stderr: string): boolean {
  return AUTH_FAILURE.test(stderr);
}

export interface GitRunOptions {
  cwd?: string;
  /** Written to git's stdin (otherwise stdin is closed so nothing can wait on a prompt). */
  input?: string;
  /** Don't log the command line (probes whose failure is an answer, e.g. "is this commit here?"). */
  quiet?: boolean;
}

export interface GitRunner {
  run(args: string[], options?: GitRunOptions): Promise<GitResult>;
  /** Like run, but a non-zero exit is an answer (null), not an error. */
  probe(args: string[], options?: GitRunOptions): Promise<GitResult | null>;
  readonly env: Record<string, string>;
}

/** Appends `-c`-style settings through GIT_CONFIG_COUNT (git ≥ 2.31), keeping any the caller set. */
export function withGitConfigEnv(env: Record<string, string>, settings: Array<[string, string]>): Record<string, string> {
  if (settings.length === 0) return env;
  const out = { ...env };
  const existing = Number.parseInt(out.GIT_CONFIG_COUNT ?? '0', 10);
  let count = Number.isFinite(existing) && existing > 0 ? existing : 0;
  for (const [key, value] of settings) {
    out[`GIT_CONFIG_KEY_${count}`] = key;
    out[`GIT_CONFIG_VALUE_${count}`] = value;
    count += 1;
  }
  out.GIT_CONFIG_COUNT = String(count);
  return out;
}

/** The environment every git process of a task gets, on top of the caller's. */
export function baseGitEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  // A prompt would hang a headless agent forever: fail instead.
  out.GIT_TERMINAL_PROMPT = '0';
  if (!out.GIT_SSH_COMMAND && !out.GIT_SSH) out.GIT_SSH_COMMAND = 'ssh -oBatchMode=yes';
  return out;
}

function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

function lastLines(text: string, max: number): string {
  const lines = text.split(/\r?\n|\r/).map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.slice(-max).join('\n');
}

export function createGitRunner(opts: {
  env: Record<string, string>;
  log: (line: string) => void;
  scrub: (text: string) => string;
  signal?: AbortSignal;
}): GitRunner {
  const { env, log, scrub, signal } = opts;

  async function exec(args: string[], options: GitRunOptions, rejectOnFailure: boolean): Promise<GitResult | null> {
    if (signal?.aborted) throw new WorkspaceError('cancelled', 'workspace preparation was cancelled');
    const command = `git ${scrub(args.join(' '))}`;
    if (!options.quiet) log(command);
    const cancelled = (): WorkspaceError => new WorkspaceError('cancelled', `workspace preparation was cancelled during ${command}`);
    // git forks helpers (remote-https, index-pack, upload-pack): the process module stops the
    // whole group on a cancel.
    const result = await runCommand('git', args, {
      cwd: options.cwd,
      env,
      input: options.input,
      signal,
      captureStdout: true,
      captureStderr: true,
      killGraceMs: 3000,
      cancelledError: cancelled,
    });
    if (signal?.aborted) throw cancelled();
    const stdout = stripFinalNewline(result.stdout);
    const stderrText = stripFinalNewline(result.stderr);
    if (result.exitCode === 0) return { stdout, stderr: stderrText };
    if (!rejectOnFailure) return null;
    const stderr = scrub(lastLines(stderrText, 12) || lastLines(stdout, 12) || (result.spawnError ? result.spawnError.message : ''));
    throw new GitCommandError(command, result.exitCode ?? undefined, stderr);
  }

  return {
    env,
    run: async (args, options = {}) => (await exec(args, options, true))!,
    probe: (args, options = {}) => exec(args, { quiet: true, ...options }, false),
  };
}
