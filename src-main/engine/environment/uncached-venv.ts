import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './file-lock.js';

const OWNER_FILE = '.tray-agent-owner';
const PREFIX = 'env-';

/**
 * Environments that are not cached get a fresh folder under venvs_dir per run (several tasks
 * may run at once, so not clearml-agent's shared `<venvs_dir>/<X.Y>`), deleted on release. A
 * folder whose owning process died without releasing it is removed by the next run.
 * Returns the run's folder; the environment itself goes into `<folder>/env` (not yet created,
 * as uv and conda want to create their target themselves).
 */
export async function createUncachedEnvDir(venvsDir: string, pythonVersion: string): Promise<string> {
  await mkdir(venvsDir, { recursive: true });
  await sweepAbandoned(venvsDir);
  const majorMinor = pythonVersion.split('.').slice(0, 2).join('.');
  const dir = await mkdtemp(path.join(venvsDir, `${PREFIX}py${majorMinor}-`));
  await writeFile(path.join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, host: os.hostname() }));
  return dir;
}

export async function removeEnvDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

async function sweepAbandoned(venvsDir: string): Promise<void> {
  for (const name of await readdir(venvsDir).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(venvsDir, name);
    try {
      const owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as { pid?: number; host?: string };
      if (owner.host === os.hostname() && typeof owner.pid === 'number' && !isProcessAlive(owner.pid)) await removeEnvDir(dir);
    } catch {
      // no owner file: not ours to judge
    }
  }
}
