/**
 * Issue 12 item 4: with `agent.venvs_cache.path`, the vcs cache or the pip cache not writable,
 * the task still runs — without that cache — and its log warns once with the path and the key
 * to change. The three ways a folder is not writable:
 *
 * - a file in the way: in this process (root obeys it too);
 * - a read-only folder (mode 0555) and a folder of another owner (root's, mode 0755): root
 *   ignores permission bits, so when the suite runs as root the phases run in a child process
 *   as `nobody` (`uid` option of child_process), with Debian's /usr/bin/python3 and this
 *   node hard-linked beside the work folders (root's home, where node and pyenv live, is
 *   closed to nobody).
 *   Run as another user, the child keeps that user and the "other owner" is a root-owned folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import { isolatedPipEnv } from '../../helpers/package-index.js';
import { createPythonRepo } from '../../helpers/python-repo.js';
import type { PrepareFixture } from '../../helpers/prepare-fixture.js';
import { startPrepareFixture } from '../../helpers/prepare-fixture.js';
import { environmentCache } from '../../helpers/environment-settings.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

let fx: PrepareFixture;
let scratch: string;

beforeAll(async () => {
  fx = await startPrepareFixture();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'tray-agent-cache-perms-'));
  chmodSync(scratch, 0o755);
});
afterAll(async () => {
  await fx.close();
  await rm(scratch, { recursive: true, force: true });
});

function warnings(lines: string[], what: string): string[] {
  return lines.filter((l) => l.startsWith(`WARNING: ${what}`));
}

describe('caches that are not writable', () => {
  it('a file in the way of agent.venvs_cache.path and the pip cache: built without them, one warning each', async () => {
    const file = path.join(scratch, 'a-file');
    await writeFile(file, 'not a folder\n');
    const repoDir = path.join(scratch, 'repo-file-case');
    await mkdir(repoDir);
    const env = isolatedPipEnv();
    delete env.PIP_NO_CACHE_DIR;
    const logs: string[] = [];
    const prepared = await prepareEnvironment(
      { binary: 'python3', requirements: { pip: 'tray-alpha==1.0' }, repoDir, workingDir: repoDir },
      fx.options({
        cache: environmentCache(path.join(file, 'venvs-cache'), 5),
        pipCacheDir: file,
        env,
        log: (l) => logs.push(l),
      }),
    );
    try {
      expect(prepared.cacheHit).toBe(false);
      expect(prepared.venvDir.startsWith(path.join(fx.root, 'venvs'))).toBe(true);
      expect(execFileSync(prepared.pythonExecutable, ['-c', 'import tray_alpha; print(tray_alpha.__version__)'], { encoding: 'utf8' }).trim()).toBe('1.0');
      const envCache = warnings(logs, 'environment cache');
      expect(envCache).toHaveLength(1);
      expect(envCache[0]).toContain(`${path.join(file, 'venvs-cache')} cannot be used (${file} is a file, not a folder)`);
      expect(envCache[0]).toContain('agent.venvs_cache.path');
      const pipCache = warnings(logs, 'pip cache');
      expect(pipCache).toHaveLength(1);
      expect(pipCache[0]).toContain(`pip cache ${file} cannot be used (${file} is a file, not a folder)`);
      expect(pipCache[0]).toContain('agent.pip_download_cache.path');
    } finally {
      await prepared.release();
    }
  });

  it('a read-only folder and a folder of another owner: workspace and environment run without the caches', async () => {
    const childUid = asRoot ? NOBODY : (process.getuid?.() ?? 0);
    const childGid = asRoot ? NOBODY : (process.getgid?.() ?? 0);
    const workDir = path.join(scratch, 'child-work');
    const home = path.join(scratch, 'child-home');
    await mkdir(workDir);
    await mkdir(home);
    const readOnly = path.join(scratch, 'read-only-cache');
    await mkdir(readOnly);
    if (asRoot) {
      chownSync(workDir, childUid, childGid);
      chownSync(home, childUid, childGid);
      chownSync(readOnly, childUid, childGid);
    }
    chmodSync(readOnly, 0o555);
    // Root-owned, not writable for the child: in our scratch dir as root, else a system folder.
    const otherOwner = asRoot ? path.join(scratch, 'root-owned-cache') : path.join('/var/lib', `tray-agent-test-cache-${process.pid}`);
    if (asRoot) {
      await mkdir(otherOwner);
      chmodSync(otherOwner, 0o755);
    }
    const repo = await createPythonRepo(path.join(scratch, 'repos'), 'demo', { 'train.py': 'print("hi")\n' });
    // git refuses repositories of other owners ("dubious ownership"): the child's user owns it.
    if (asRoot) execFileSync('chown', ['-R', `${childUid}:${childGid}`, path.join(scratch, 'repos')]);

    const python = asRoot ? '/usr/bin/python3' : execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    expect(existsSync(python), `${python} is needed to build a venv as nobody`).toBe(true);
    // This node, reachable for nobody: a hard link beside the work folders (same file system),
    // else a copy.
    let node = process.execPath;
    if (asRoot) {
      node = path.join(scratch, 'node');
      try {
        linkSync(realpathSync(process.execPath), node);
      } catch {
        copyFileSync(realpathSync(process.execPath), node);
        chmodSync(node, 0o755);
      }
    }
    const childEnv: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TMPDIR: workDir,
      PIP_CONFIG_FILE: os.devNull,
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    };
    const inputFile = path.join(workDir, 'input.json');
    await writeFile(
      inputFile,
      JSON.stringify({
        cases: [
          { name: 'read-only', cacheDir: readOnly },
          { name: 'other-owner', cacheDir: otherOwner },
        ],
        repoUrl: repo.url,
        indexUrl: fx.index.url,
        python,
        workDir,
        env: childEnv,
      }),
    );
    if (asRoot) chownSync(inputFile, childUid, childGid);

    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(node, ['--import', 'tsx', path.join(here, 'cache-access.child.ts'), inputFile], {
        cwd: repoRoot,
        env: { ...childEnv, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json') },
        uid: childUid,
        gid: childGid,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child exited ${code}: ${stderr}\n${stdout}`))));
    });
    const results = JSON.parse(output.trim().split('\n').pop()!) as Record<
      string,
      { workspaceLines: string[]; environmentLines: string[]; cacheHit: boolean; venvDir: string; imported: string; resolvedCommit: string }
    >;

    for (const [name, dir, reason] of [
      ['read-only', readOnly, `may not write there: ${readOnly} is owned by uid ${childUid} with mode 0555`],
      ['other-owner', otherOwner, `may not write there: ${asRoot ? otherOwner : '/var/lib'} is owned by uid 0 with mode 0755`],
    ] as const) {
      const result = results[name]!;
      expect(result.resolvedCommit, name).toBe(repo.commit);
      expect(result.imported, name).toBe('1.0');
      expect(result.cacheHit, name).toBe(false);
      expect(result.venvDir.startsWith(path.join(workDir, `venvs-${name}`)), name).toBe(true);
      for (const [lines, what, key] of [
        [result.workspaceLines, 'vcs cache', 'agent.vcs_cache.path'],
        [result.environmentLines, 'environment cache', 'agent.venvs_cache.path'],
        [result.environmentLines, 'pip cache', 'agent.pip_download_cache.path'],
      ] as const) {
        const found = warnings(lines, what);
        expect(found, `${name}: ${what}`).toHaveLength(1);
        expect(found[0]).toContain(`${what} ${dir} cannot be used`);
        expect(found[0]).toContain(reason);
        expect(found[0]).toContain(key);
      }
    }
    // Nothing was written into either folder.
    expect(await readdir(readOnly)).toEqual([]);
    if (asRoot) expect(await readdir(otherOwner)).toEqual([]);
  });
});
