/**
 * The heavier prepareEnvironment cases: each builds one or more real venvs with pip against the
 * local index (about 5-8 s per venv on the build machines).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRequest, PreparedEnvironment } from '../../../src-main/engine/environment/index.js';
import { EnvironmentError, prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import { writeLocalPythonProject } from '../../helpers/package-index.js';
import type { PrepareFixture } from '../../helpers/prepare-fixture.js';
import { startPrepareFixture } from '../../helpers/prepare-fixture.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { environmentCache } from '../../helpers/environment-settings.js';

let fx: PrepareFixture;
let repoDir: string;

function taskRequest(pip: string | null, overrides: Partial<EnvironmentRequest> = {}): EnvironmentRequest {
  return { binary: 'python3', requirements: pip === null ? null : { pip }, repoDir, workingDir: repoDir, ...overrides };
}

async function cacheKeysOn(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

beforeAll(async () => {
  fx = await startPrepareFixture();
  repoDir = path.join(fx.root, 'repo');
  await mkdir(repoDir, { recursive: true });
});
afterAll(async () => {
  await fx.close();
});

describe('prepareEnvironment (slow cases)', () => {
  describe('one cache with max_entries 1', () => {
    const cacheDir = () => path.join(fx.root, 'lru-cache');
    const cachedOptions = (overrides = {}) =>
      fx.options({ cache: environmentCache(cacheDir(), 1), ...overrides });
    let first: PreparedEnvironment;

    it('falls back to the requirements.txt files from the repository root down to the working dir', async () => {
      // Poetry mode without pyproject.toml + poetry.lock behaves as pip mode.
      const workingDir = path.join(repoDir, 'service');
      await mkdir(workingDir, { recursive: true });
      await writeFile(path.join(repoDir, 'requirements.txt'), 'tray-alpha==1.0\n');
      await writeFile(path.join(workingDir, 'requirements.txt'), 'tray-gamma\n');
      first = await prepareEnvironment(taskRequest(null, { workingDir }), cachedOptions({ packageManager: 'poetry' }));
      await first.release();
      expect(first.cacheHit).toBe(false);
      expect(first.frozenRequirements).toEqual(['tray-alpha==1.0', 'Tray_Gamma==0.3']);
      expect(first.originalRequirements).toBe('tray-alpha==1.0\ntray-gamma');
      expect(fx.logs.join('\n')).toMatch(/Installing requirements from .*repo\/requirements.txt, .*service\/requirements.txt/);
      expect(fx.logs.join('\n')).toMatch(/Package manager poetry: no pyproject.toml and poetry.lock in the repository root .*; installing the task's requirements with pip/);
      expect(await cacheKeysOn(cacheDir())).toEqual([first.cacheKey]);
    });

    it('discards an entry whose python no longer runs and rebuilds it', async () => {
      // What a removed or upgraded base interpreter does to a venv.
      await rm(first.pythonExecutable);
      const requestsBefore = fx.index.requestCount();
      const rebuilt = await prepareEnvironment(taskRequest(null, { workingDir: path.join(repoDir, 'service') }), cachedOptions());
      await rebuilt.release();
      expect(rebuilt.cacheHit).toBe(false);
      expect(rebuilt.cacheKey).toBe(first.cacheKey);
      expect(fx.index.requestCount()).toBeGreaterThan(requestsBefore);
      expect(fx.logs.join('\n')).toMatch(/discarding broken entry .* \(its interpreter no longer runs\); rebuilding/);
      expect(execFileSync(rebuilt.pythonExecutable, ['-c', 'import tray_alpha; print(tray_alpha.__version__)'], { encoding: 'utf8' }).trim()).toBe(
        '1.0',
      );
    });

    it('misses on a changed requirement and evicts the least recently used entry', async () => {
      const changed = await prepareEnvironment(taskRequest('tray-alpha==2.0'), cachedOptions());
      await changed.release();
      expect(changed.cacheHit).toBe(false);
      expect(changed.cacheKey).not.toBe(first.cacheKey);
      expect(changed.frozenRequirements).toEqual(['tray-alpha==2.0']);
      expect(await cacheKeysOn(cacheDir())).toEqual([changed.cacheKey]);
      expect(fx.logs).toContain(`Environment cache: evicted ${first.cacheKey} (least recently used; max_entries is 1)`);
      await rm(path.join(repoDir, 'requirements.txt'));
      await rm(path.join(repoDir, 'service'), { recursive: true });
    });
  });

  it("fails with pip's message naming a requirement that cannot be found; with the cache off nothing is left in venvs_dir", async () => {
    const error = await rejectionOf(prepareEnvironment(taskRequest('tray-alpha==1.0\ntray-nonexistent==3.1'), fx.options({ cache: null })), EnvironmentError);
    expect(error.reason).toBe('failed installing requirements');
    expect(error.message).toMatch(/No matching distribution found for tray-nonexistent==3\.1/);
    expect(error.message).toMatch(/agent.package_manager.extra_index_url/);
    expect(fx.logs.join('\n')).toMatch(/Creating virtual environment: .* -m venv .*venvs\/env-py3\.\d+-\w+\/env/);
    expect(await readdir(path.join(fx.root, 'venvs'))).toEqual([]);
  });

  it('installs an editable local path (relative to the repo) and a pinned git requirement, without caching', async () => {
    await writeLocalPythonProject(path.join(repoDir, 'libs', 'localpkg'), 'localpkg', '0.5');
    const gitRepo = path.join(fx.root, 'gitpkg-src');
    await writeLocalPythonProject(gitRepo, 'gitpkg', '1.2');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: gitRepo, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'gitpkg');
    const sha = git('rev-parse', 'HEAD');

    const cacheDir = path.join(fx.root, 'local-cache');
    const env = await prepareEnvironment(
      taskRequest(`-e ./libs/localpkg\ngit+file://${gitRepo}@${sha}#egg=gitpkg\ntray-alpha==1.0`),
      fx.options({ cache: environmentCache(cacheDir, 5) }),
    );
    try {
      expect(env.cacheHit).toBe(false);
      expect(env.venvDir.startsWith(path.join(fx.root, 'venvs') + path.sep)).toBe(true);
      expect(await cacheKeysOn(cacheDir)).toEqual([]);
      expect(fx.logs.join('\n')).toMatch(/not caching this environment: "-e \.\/libs\/localpkg" installs from a local path/);
      const versions = execFileSync(env.pythonExecutable, ['-c', 'import localpkg, gitpkg; print(localpkg.__version__, gitpkg.__version__)'], {
        encoding: 'utf8',
      });
      expect(versions.trim()).toBe('0.5 1.2');
      // pip's own `gitpkg @ git+file://…` freeze line is one pip refuses to install again.
      expect(env.frozenRequirements).toContain(`git+file://${gitRepo}@${sha}#egg=gitpkg`);
      expect(env.frozenRequirements.some((l) => l.startsWith('-e ') && l.includes('localpkg'))).toBe(true);
    } finally {
      await env.release();
    }
    expect(existsSync(env.venvDir)).toBe(false);
  });

  it('cancels: the venv process group is killed and no cache entry is left', async () => {
    const cacheDir = path.join(fx.root, 'cancel-cache');
    const controller = new AbortController();
    const pending = prepareEnvironment(
      taskRequest('tray-beta==1.0'),
      fx.options({
        cache: environmentCache(cacheDir, 5),
        signal: controller.signal,
        log: (line) => {
          if (line.startsWith('Creating virtual environment')) setTimeout(() => controller.abort(), 800);
        },
      }),
    );
    const error = await rejectionOf(pending, EnvironmentError);
    expect(error.reason).toBe('cancelled');
    expect(await cacheKeysOn(cacheDir)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const stillRunning = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(cacheDir));
    expect(stillRunning).toEqual([]);
  });
});
