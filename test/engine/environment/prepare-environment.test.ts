/**
 * prepareEnvironment end to end with real python3 -m venv and pip against the local index.
 * One environment is built here; the heavier cases live in prepare-environment.slow.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentRequest, PreparedEnvironment } from '../../../src-main/engine/environment/index.js';
import { prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import type { PrepareFixture } from '../../helpers/prepare-fixture.js';
import { startPrepareFixture } from '../../helpers/prepare-fixture.js';

let fx: PrepareFixture;
let request: EnvironmentRequest;
const REQUIREMENTS = '# Python 3 (recorded by the SDK)\ntray-beta==1.0\n\nTray_Gamma  # odd spelling\n';

beforeAll(async () => {
  fx = await startPrepareFixture();
  const repoDir = path.join(fx.root, 'repo');
  await mkdir(repoDir, { recursive: true });
  request = { binary: 'python3', requirements: { pip: REQUIREMENTS }, repoDir, workingDir: repoDir };
});
afterAll(async () => {
  await fx.close();
});

describe('prepareEnvironment with the cache', () => {
  let first: PreparedEnvironment;
  let second: PreparedEnvironment;

  it('installs from the local index once when two tasks want the same environment at the same time', async () => {
    [first, second] = await Promise.all([prepareEnvironment(request, fx.options()), prepareEnvironment(request, fx.options())]);
    expect([first.cacheHit, second.cacheHit].sort()).toEqual([false, true]);
    expect(second.cacheKey).toBe(first.cacheKey);
    expect(second.venvDir).toBe(first.venvDir);
    expect(first.venvDir).toBe(path.join(fx.root, 'cache', first.cacheKey, 'env'));
    expect(fx.index.requests.filter((r) => r.startsWith('/files/')).sort()).toEqual([
      '/files/Tray_Gamma-0.3-py3-none-any.whl',
      '/files/tray_alpha-2.0-py3-none-any.whl',
      '/files/tray_beta-1.0-py3-none-any.whl',
    ]);
    const imported = execFileSync(first.pythonExecutable, ['-c', 'import tray_alpha, tray_beta, tray_gamma; print(tray_alpha.__version__)'], {
      encoding: 'utf8',
    });
    expect(imported.trim()).toBe('2.0');
  });

  it('reports the frozen packages and the original requirement text', () => {
    expect(first.frozenRequirements).toEqual(['tray-alpha==2.0', 'tray-beta==1.0', 'Tray_Gamma==0.3']);
    expect(second.frozenRequirements).toEqual(first.frozenRequirements);
    expect(first.originalRequirements).toBe(REQUIREMENTS);
    expect(first.pythonVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(fx.logs.join('\n')).toMatch(/Installing requirements from task script.requirements.pip/);
  });

  it('hits the cache on the next run: nothing is installed and no index request is made', async () => {
    await first.release();
    await second.release();
    const before = fx.index.requestCount();
    const started = Date.now();
    const third = await prepareEnvironment(request, fx.options());
    const elapsedMs = Date.now() - started;
    expect(third.cacheHit).toBe(true);
    expect(fx.index.requestCount()).toBe(before);
    expect(elapsedMs).toBeLessThan(3000);
    expect(third.frozenRequirements).toEqual(first.frozenRequirements);
    expect(fx.logs.join('\n')).toMatch(new RegExp(`Environment cache: hit ${third.cacheKey}`));
    await third.release();
  });
});

describe('prepareEnvironment with skipInstall', () => {
  it('uses the selected interpreter as it is: no venv, no index request, nothing frozen', async () => {
    const before = fx.index.requestCount();
    const env = await prepareEnvironment({ ...request, skipInstall: true }, fx.options());
    const prefix = execFileSync(env.pythonExecutable, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
    expect(env).toMatchObject({ cacheHit: false, cacheKey: '', frozenRequirements: [], originalRequirements: null, venvDir: prefix });
    expect(fx.index.requestCount()).toBe(before);
    await env.release();
  });
});
