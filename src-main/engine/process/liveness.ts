// The one answer to "is this process (group) still there?", used by locks, the worker registry,
// the orphan reaper, the spool and stop escalation. Linux reads /proc, because a pid can be
// recycled after a crash and orphaned zombies linger in a group until init reaps them.
import { readFile, readdir } from 'node:fs/promises';

function signalZeroSaysAlive(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readStatFields(pid: number): Promise<string[] | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    // Fields after the parenthesised command name (which may hold spaces): state ppid pgrp ...
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * Start time of a process in clock ticks since boot (Linux), to tell a process we launched from
 * an unrelated one that reused its pid after a crash. null where unknown.
 */
export async function processStartTicks(pid: number): Promise<number | null> {
  if (process.platform !== 'linux') return null;
  const fields = await readStatFields(pid);
  // Field 22 of /proc/PID/stat; fields[0] here is field 3 (state).
  const ticks = Number(fields?.[19]);
  return Number.isFinite(ticks) ? ticks : null;
}

/** True while `pid` runs and, when `startTicks` is given, is still the process we knew. */
export async function isProcessAlive(pid: number, startTicks: number | null = null): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!signalZeroSaysAlive(pid)) return false;
  if (startTicks === null) return true;
  const current = await processStartTicks(pid);
  return current === null || current === startTicks;
}

/** The synchronous form for exit paths and tight loops that cannot await (no /proc check). */
export function isProcessAliveNow(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && signalZeroSaysAlive(pid);
}

/** True while a living (non-zombie) member of process group `pgid` exists. */
export async function processGroupAlive(pgid: number): Promise<boolean> {
  if (process.platform !== 'linux') return signalZeroSaysAlive(-pgid);
  if (!signalZeroSaysAlive(-pgid)) return false;
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return true;
  }
  const pids = names.filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57);
  // Read in parallel batches: a busy machine has a few hundred processes.
  for (let i = 0; i < pids.length; i += 64) {
    const fields = await Promise.all(pids.slice(i, i + 64).map((pid) => readStatFields(Number(pid))));
    if (fields.some((f) => f !== null && Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X')) return true;
  }
  return false;
}
