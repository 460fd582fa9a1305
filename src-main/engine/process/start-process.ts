// The one way the engine starts a child process (task processes, git, pip, poetry, docker
// helpers): execa, argv only (never a shell), the child as leader of its own process group so a
// stop reaches every descendant, and one stop escalation (stop-escalation.ts).
import { spawn } from 'node:child_process';
import { execa, type ResultPromise } from 'execa';
import { stopProcessGroup, type StopOutcome, type StopSignalName } from './stop-escalation.js';

export interface StartProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The child's whole environment (nothing is inherited implicitly). */
  readonly env: Record<string, string | undefined>;
  /** Text written to stdin, then closed; otherwise stdin is closed so nothing waits on a prompt. */
  readonly input?: string;
}

export interface ProcessExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  readonly spawnError: NodeJS.ErrnoException | null;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Resolves when the group leader exits (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** SIGINT, SIGTERM, SIGKILL to the whole group within `graceMs` (stop-escalation.ts). */
  stop(graceMs: number, onSignal?: (signal: StopSignalName) => void): Promise<StopOutcome>;
}

/** A command that could not be started (missing interpreter, not executable). */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
  constructor(
    readonly command: string,
    /** Resolves with the reason (spawnError) the operating system gave. */
    readonly exit: Promise<ProcessExit>,
  ) {
    super(`could not start ${command}`);
  }
}

function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

export function startProcess(options: StartProcessOptions): ManagedProcess {
  const child: ResultPromise = execa(options.command, [...options.args], {
    cwd: options.cwd,
    env: definedEnv(options.env),
    extendEnv: false,
    detached: process.platform !== 'win32', // own process group: kill(-pid) reaches the tree
    cleanup: false, // the agent decides when its children die, with a grace period
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    buffer: false,
    reject: false,
    windowsHide: true,
  });
  const pid = child.pid;
  const exited: Promise<ProcessExit> = child.then(
    (result) => ({
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      spawnError: result.failed && result.exitCode === undefined && !result.signal ? spawnErrorOf(result.cause) : null,
    }),
    (error: unknown) => {
      const failure = error as { exitCode?: number; signal?: string; cause?: unknown };
      return { exitCode: failure.exitCode ?? null, signal: failure.signal ?? null, spawnError: spawnErrorOf(failure.cause ?? error) };
    },
  );
  if (pid === undefined) {
    // The spawn failed synchronously (ENOENT): execa reports it through the promise only.
    throw new ProcessStartError(options.command, exited);
  }
  return {
    pid,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited,
    stop: (graceMs, onSignal) => stopProcessGroup(pid, graceMs, { onSignal }),
  };
}

function spawnErrorOf(cause: unknown): NodeJS.ErrnoException | null {
  if (cause && typeof cause === 'object' && 'code' in cause && typeof (cause as NodeJS.ErrnoException).code === 'string') return cause as NodeJS.ErrnoException;
  return null;
}

/**
 * A background process that outlives us (`daemon --detached`): its own session, output to a
 * file descriptor, not waited for.
 */
export function startDetachedProcess(options: { command: string; args: readonly string[]; env: Record<string, string | undefined>; outputFd: number }): number {
  // Node's own spawn: execa has no "hand the child a file descriptor and forget it" mode.
  const child = spawn(options.command, [...options.args], {
    env: definedEnv(options.env),
    detached: true,
    stdio: ['ignore', options.outputFd, options.outputFd],
    windowsHide: true,
  });
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${options.command} in the background`);
  return child.pid;
}
