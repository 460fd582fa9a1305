import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** Finds `examples/<name>` of this installation (built bundle or sources). */
export function findExampleDir(name: string, from: string = import.meta.dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'examples', name);
    if (existsSync(join(candidate, 'train.py'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`cannot find examples/${name} next to this installation (looked upwards from ${from})`);
}

/**
 * Puts an example project in a local git repository under `stateDir/examples/<name>` (once; again
 * when the example changed), so the sample task runs through the real checkout path.
 */
export async function ensureExampleRepository(exampleDir: string, stateDir: string): Promise<{ url: string; dir: string }> {
  const name = exampleDir.split('/').pop() ?? 'example';
  const dir = join(stateDir, 'examples', name);
  const source = await readFile(join(exampleDir, 'train.py'), 'utf8');
  const current = existsSync(join(dir, 'train.py')) ? await readFile(join(dir, 'train.py'), 'utf8') : null;
  if (current !== source || !existsSync(join(dir, '.git'))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
    await cp(exampleDir, dir, { recursive: true });
    // Our own identity for this one commit; the user's git config is never written.
    const env = { GIT_AUTHOR_NAME: 'Tray Agent', GIT_AUTHOR_EMAIL: 'tray-agent@localhost', GIT_COMMITTER_NAME: 'Tray Agent', GIT_COMMITTER_EMAIL: 'tray-agent@localhost' };
    await execa('git', ['init', '--quiet', '--initial-branch=main'], { cwd: dir, env });
    await execa('git', ['add', '-A'], { cwd: dir, env });
    await execa('git', ['commit', '--quiet', '-m', `${name} sample task`], { cwd: dir, env });
  }
  return { url: `file://${dir}`, dir };
}
