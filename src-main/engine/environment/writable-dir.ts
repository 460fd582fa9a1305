import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/*
 * Whether the agent can use a cache folder (env cache, vcs cache, pip cache) before it relies
 * on one: a cache the agent cannot write must cost speed, never the task. Checked by doing
 * what the cache will do — create the folder, create and remove a file in it — because
 * permission bits alone do not tell (root ignores them, a read-only mount does not show in
 * them, ACLs add to them).
 */

/** Why `dir` cannot be used as a writable folder, or null when it can. Creates it if missing. */
export async function unwritableReason(dir: string): Promise<string | null> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    return describeFsError(error, dir);
  }
  const probe = path.join(dir, `.tray-agent-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await unlink(probe);
    return null;
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    return describeFsError(error, dir);
  }
}

function currentUser(): string {
  try {
    const info = os.userInfo();
    return `${info.username} (uid ${info.uid})`;
  } catch {
    return typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'the agent user';
  }
}

/** The path component that is a file where a folder is needed, if any. */
async function fileInTheWay(dir: string): Promise<string | null> {
  let current = path.resolve(dir);
  for (;;) {
    const info = await stat(current).catch(() => null);
    if (info && !info.isDirectory()) return current;
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/** The nearest existing folder at or above `dir`, with its owner and mode. */
async function nearestExisting(dir: string): Promise<{ path: string; uid: number; mode: number } | null> {
  let current = path.resolve(dir);
  for (;;) {
    const info = await stat(current).catch(() => null);
    if (info) return { path: current, uid: info.uid, mode: info.mode & 0o7777 };
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

async function describeFsError(error: unknown, dir: string): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  switch (code) {
    case 'EEXIST':
    case 'ENOTDIR': {
      const file = await fileInTheWay(dir);
      return file ? `${file} is a file, not a folder` : `a file is in the way (${code})`;
    }
    case 'EROFS':
      return 'it is on a read-only file system';
    case 'EACCES':
    case 'EPERM': {
      const owner = await nearestExisting(dir);
      const where = owner ? `${owner.path} is owned by uid ${owner.uid} with mode ${owner.mode.toString(8).padStart(4, '0')}` : 'permission denied';
      return `${currentUser()} may not write there: ${where}`;
    }
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** True for errors from the file system (as opposed to a failing tool or a bug). */
export function isFileSystemError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOSPC', 'EDQUOT', 'ELOOP', 'ENAMETOOLONG'].includes(code);
}

export { describeFsError };
