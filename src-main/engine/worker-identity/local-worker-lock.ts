// One pid file per running local agent, so two daemons never register as the same worker and
// each gets its own instance slot (clearml-agent keeps the same bookkeeping in /tmp).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive, processStartTicks } from '../process/index.js';

export interface LocalWorkerEntry {
  pid: number;
  /** /proc start time of `pid` (Linux), so a recycled pid is not mistaken for a live agent. */
  startTicks: number | null;
  workerId: string;
  slot: number;
  startedAt: string;
  file: string;
  /** The id with the slot left open (resolveWorkerIdentity): what `--stop` compares. */
  matchKey: string | null;
  /** Queues as the daemon was given them (names or ids). */
  queues: readonly string[];
  /** The local control socket of the process hosting it (stop/drain one daemon, not the process). */
  controlSocket: string | null;
  /** What else that process hosts (e.g. "embedded server"): never signal such a process. */
  sharedWith: readonly string[];
}

/** What a daemon records about itself beside its id. */
export interface LocalWorkerMeta {
  readonly matchKey?: string | null;
  readonly queues?: readonly string[];
  readonly controlSocket?: string | null;
  readonly sharedWith?: readonly string[];
}

export interface LocalWorkerLock {
  workerId: string;
  slot: number;
  pidFile: string;
  release(): Promise<void>;
}

export class WorkerLockError extends Error {
  constructor(
    message: string,
    readonly holder: LocalWorkerEntry | null,
  ) {
    super(message);
    this.name = 'WorkerLockError';
  }
}

const REGISTRY_DIR = 'workers';
const MUTEX = '.registry.lock';
/** A registry mutex older than this belongs to a crashed process: holders keep it for milliseconds. */
const STALE_MUTEX_MS = 10_000;
const MUTEX_WAIT_MS = 15_000;

async function withRegistryMutex<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const mutex = path.join(dir, MUTEX);
  const deadline = Date.now() + MUTEX_WAIT_MS;
  for (;;) {
    try {
      await mkdir(mutex);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(mutex).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_MUTEX_MS) {
        await rmdir(mutex).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new WorkerLockError(`timed out waiting for the local worker registry lock ${mutex}; if no agent is starting, delete it`, null);
      }
      await sleep(20);
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}

async function readEntries(dir: string): Promise<LocalWorkerEntry[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const entries: LocalWorkerEntry[] = [];
  for (const name of names.filter((n) => n.startsWith('agent-') && n.endsWith('.json'))) {
    const file = path.join(dir, name);
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalWorkerEntry>;
      if (typeof data.pid !== 'number' || typeof data.workerId !== 'string' || typeof data.slot !== 'number') continue;
      entries.push({
        pid: data.pid,
        startTicks: typeof data.startTicks === 'number' ? data.startTicks : null,
        workerId: data.workerId,
        slot: data.slot,
        startedAt: typeof data.startedAt === 'string' ? data.startedAt : '',
        file,
        matchKey: typeof data.matchKey === 'string' ? data.matchKey : null,
        queues: Array.isArray(data.queues) ? data.queues.map(String) : [],
        controlSocket: typeof data.controlSocket === 'string' ? data.controlSocket : null,
        sharedWith: Array.isArray(data.sharedWith) ? data.sharedWith.map(String) : [],
      });
    } catch {
      // Half-written or foreign file: not an agent we can account for; leave it alone.
    }
  }
  return entries;
}

/** Local agents that are alive right now (for `daemon --stop` and the tray). */
export async function listLocalWorkers(stateDir: string): Promise<LocalWorkerEntry[]> {
  const entries = await readEntries(path.join(stateDir, REGISTRY_DIR));
  const alive = await Promise.all(entries.map((e) => isProcessAlive(e.pid, e.startTicks)));
  return entries.filter((_e, i) => alive[i]);
}

/**
 * Claims a worker id on this machine. `workerId` may depend on the instance slot (`host:<slot>`):
 * the lowest slot no live agent holds is used. Refused with WorkerLockError when a live local
 * agent already uses the id; pid files of dead agents are removed and their slots reused.
 */
export async function acquireLocalWorkerLock(opts: {
  stateDir: string;
  workerId: string | ((slot: number) => string);
  pid?: number;
  meta?: LocalWorkerMeta;
}): Promise<LocalWorkerLock> {
  const dir = path.join(opts.stateDir, REGISTRY_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pid = opts.pid ?? process.pid;

  return withRegistryMutex(dir, async () => {
    const live: LocalWorkerEntry[] = [];
    for (const entry of await readEntries(dir)) {
      if (await isProcessAlive(entry.pid, entry.startTicks)) live.push(entry);
      else await rm(entry.file, { force: true });
    }
    const usedSlots = new Set(live.map((e) => e.slot));
    let slot = 0;
    while (usedSlots.has(slot)) slot += 1;
    const workerId = typeof opts.workerId === 'function' ? opts.workerId(slot) : opts.workerId;

    const holder = live.find((e) => e.workerId === workerId);
    if (holder) {
      throw new WorkerLockError(
        `another agent already runs as worker "${workerId}" on this machine (pid ${holder.pid}, started ${holder.startedAt || 'earlier'}). ` +
          'Stop it first (tray-agent daemon --stop), or give this one its own id with CLEARML_WORKER_ID or agent.worker_id.',
        holder,
      );
    }

    const file = path.join(dir, `agent-${pid}-${randomBytes(4).toString('hex')}.json`);
    const meta = opts.meta ?? {};
    const entry = {
      pid,
      startTicks: await processStartTicks(pid),
      workerId,
      slot,
      startedAt: new Date().toISOString(),
      matchKey: meta.matchKey ?? null,
      queues: [...(meta.queues ?? [])],
      controlSocket: meta.controlSocket ?? null,
      sharedWith: [...(meta.sharedWith ?? [])],
    };
    // Written aside and renamed in, so a concurrent reader never sees half a file.
    await writeFileAtomic(file, `${JSON.stringify(entry)}\n`, { mode: 0o644 });

    let released = false;
    return {
      workerId,
      slot,
      pidFile: file,
      async release() {
        if (released) return;
        released = true;
        await unlink(file).catch(() => undefined);
      },
    };
  });
}
