import { execa, type ResultPromise } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A task process started as the leader of its own process group, so an abort reaches every
 * descendant (pip, data loaders, shells) and not just the direct child.
 */
export interface TaskProcess {
  readonly pid: number;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Resolves when the group leader exits. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** SIGTERM to the group, up to `graceMs` for it to go, then SIGKILL to whatever is left. */
  terminateGroup(graceMs: number): Promise<{ killed: boolean }>;
}

export interface StartTaskProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
}

export function startTaskProcess(options: StartTaskProcessOptions): TaskProcess {
  const child: ResultPromise = execa(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true, // own process group: kill(-pid) reaches the whole tree
    cleanup: false, // the agent decides when the task dies, with a grace period
    stdin: 'ignore',
    buffer: false,
    reject: false,
    windowsHide: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    // execa reports spawn failures (missing interpreter) through the promise; surface them now.
    throw new Error(`could not start ${options.command}`);
  }
  const exited = child.then(
    (result) => ({ exitCode: result.exitCode ?? null, signal: result.signal ?? null }),
    (error: unknown) => {
      const failure = error as { exitCode?: number; signal?: string };
      return { exitCode: failure.exitCode ?? null, signal: failure.signal ?? null };
    },
  );
  return {
    pid,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited,
    terminateGroup: (graceMs) => terminateProcessGroup(pid, graceMs),
  };
}

/**
 * True while a living (non-zombie) process of the group exists. On Linux we read /proc, because
 * descendants orphaned by the task are reparented to init and linger as zombies until init
 * reaps them (seconds, on some inits): kill(-pgid, 0) would report those as alive.
 */
export function processGroupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return livingGroupMembersLinux(pgid) > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function livingGroupMembersLinux(pgid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') count++;
  }
  return count;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * SIGTERM, wait up to `graceMs` for every process of the group to exit, then SIGKILL and wait
 * until the group is gone. `killed` tells whether SIGKILL was needed.
 */
export async function terminateProcessGroup(pgid: number, graceMs: number): Promise<{ killed: boolean }> {
  if (!processGroupAlive(pgid)) return { killed: false };
  signalGroup(pgid, 'SIGTERM');
  const graceEnds = Date.now() + Math.max(0, graceMs);
  while (Date.now() < graceEnds) {
    if (!processGroupAlive(pgid)) return { killed: false };
    await sleep(Math.min(25, Math.max(1, graceEnds - Date.now())));
  }
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (processGroupAlive(pgid) && Date.now() < killDeadline) await sleep(10);
  return { killed: true };
}

/**
 * Start time of a process in clock ticks since boot (Linux), to tell a process we launched
 * from an unrelated one that reused its pid after a crash. null where unknown.
 */
export function processStartTicks(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 of /proc/PID/stat; fields[0] here is field 3 (state).
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}
