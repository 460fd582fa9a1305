/**
 * The agent.package_manager.* keys changing what pip is asked to do, with real venvs and pip
 * against a local PEP 503 index: what ends up installed, and what the log says.
 * The index also serves a real pip re-labelled 22.2.2 (for pip_version), a package whose
 * dependency conflicts with a pin (for pip_legacy_resolver), a second index root (for
 * extra_index_url) and fake torch wheels under download.pytorch.org's path layout.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentOptions, EnvironmentRequest, PreparedEnvironment } from '../../../src-main/engine/environment/index.js';
import { EnvironmentError, prepareEnvironment } from '../../../src-main/engine/environment/index.js';
import { forgetFoundTorchIndexes } from '../../../src-main/engine/environment/pytorch.js';
import { fakeNvidiaSmiEnv } from '../../helpers/fake-nvidia-smi/index.js';
import type { PackageIndex } from '../../helpers/package-index.js';
import { indexFlags, isolatedPipEnv, repackagedPipWheel, TEST_PACKAGES } from '../../helpers/package-index.js';
import { startPrepareFixture, type PrepareFixture } from '../../helpers/prepare-fixture.js';
import { rejectionOf } from '../../helpers/rejection.js';

let fx: PrepareFixture;
let root: string;
let repoDir: string;
let index: PackageIndex;
let logs: string[];

beforeAll(async () => {
  fx = await startPrepareFixture({
    prefix: 'env-pm-keys-',
    cacheEntries: 10,
    packages: (dir) => [
      ...TEST_PACKAGES,
      { name: 'tray-delta', version: '1.0', requires: ['tray-alpha>=2.0'] },
      { name: 'pip', version: '22.2.2', prebuilt: repackagedPipWheel('22.2.2', dir) },
      { name: 'torch', version: '2.5.1' },
    ],
    index: {
      roots: {
        extra: [{ name: 'tray-extra', version: '1.0' }],
        'whl/cu128': [{ name: 'torch', version: '2.5.1+cu128' }],
        'whl/cpu': [{ name: 'torch', version: '2.5.1+cpu' }],
      },
    },
  });
  ({ root, index } = fx);
  repoDir = path.join(root, 'repo');
  await mkdir(repoDir);
});
afterAll(async () => {
  await fx?.close();
});

function options(overrides: Partial<EnvironmentOptions> = {}): EnvironmentOptions {
  logs = [];
  return fx.options({ log: (line) => logs.push(line), ...overrides });
}

function request(pip: string | null, extra: Partial<EnvironmentRequest> = {}): EnvironmentRequest {
  return { binary: 'python3', requirements: pip === null ? null : { pip }, repoDir, workingDir: repoDir, ...extra };
}

function run(python: string, code: string): string {
  return execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim();
}

function logIndex(pattern: RegExp | string): number {
  const i = logs.findIndex((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
  expect(i, `log line ${String(pattern)}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe('pip_version and pip_legacy_resolver', () => {
  let env: PreparedEnvironment;
  afterAll(async () => env?.release());

  it('pip outside pip_version is replaced from the index; a pip in the legacy range resolves the old way', async () => {
    // tray-delta needs tray-alpha>=2.0 but the list pins 1.0: the legacy resolver installs both
    // (with a warning), the new resolver refuses.
    env = await prepareEnvironment(
      request('tray-alpha==1.0\ntray-delta==1.0'),
      options({ pipVersion: ['<22.3'], pipLegacyResolver: ['>=20.3,<24.3'] }),
    );
    expect(logs).toContainEqual(expect.stringMatching(/^pip \d+\.\d+(\.\d+)? is outside agent.package_manager.pip_version \(<22\.3\); installing pip<22\.3$/));
    expect(logs).toContain('pip is now 22.2.2');
    expect(execFileSync(env.pythonExecutable, ['-m', 'pip', '--version'], { encoding: 'utf8' })).toMatch(/^pip 22\.2\.2 /);
    expect(logs).toContain('pip 22.2.2 matches agent.package_manager.pip_legacy_resolver (>=20.3,<24.3); installing with --use-deprecated=legacy-resolver');
    expect(logs.findLast((l) => l.startsWith('Running:') && l.includes(' install '))).toContain('--use-deprecated=legacy-resolver');
    expect(run(env.pythonExecutable, 'import tray_alpha, tray_delta; print(tray_alpha.__version__)')).toBe('1.0');
    expect(env.frozenRequirements).toEqual(['tray-alpha==1.0', 'tray-delta==1.0']);
  });

  it('the new resolver refuses the same list: the error names the packages and the indexes tried', async () => {
    const error = await rejectionOf(prepareEnvironment(request('tray-alpha==1.0\ntray-delta==1.0'), options({ cache: null })), EnvironmentError);
    expect(error.reason).toBe('failed installing requirements');
    expect(error.message).toMatch(/Cannot install "tray-delta==1\.0" and tray-alpha==1\.0 because these package versions have conflicting dependencies/);
    expect(error.message).not.toContain('tray-agent-reqs-');
    expect(error.message).toContain(`Indexes tried: ${index.url}.`);
  });

  it('a misspelt marker in pip_version fails the task before anything is built', async () => {
    const error = await rejectionOf(prepareEnvironment(request('tray-alpha'), options({ pipVersion: ["<22.3 ; python_verison < '3.12'"] })), EnvironmentError);
    expect(error.reason).toBe('invalid agent.package_manager.pip_version');
    expect(logs.some((l) => l.startsWith('Creating virtual environment'))).toBe(false);
  });
});

describe('priority, post and optional packages, extra_index_url, system_site_packages', () => {
  it('installs in the configured order, skips failing optional packages, finds packages on the extra index', async () => {
    const env = await prepareEnvironment(
      request('tray-alpha==1.0\ntray-beta==1.0\ntray-gamma\ntray-opt-missing==1.0\ntray-post-missing==1.0\ntray-extra==1.0'),
      options({
        priorityPackages: ['tray-alpha'],
        priorityOptionalPackages: ['tray-opt-missing'],
        postPackages: ['tray-gamma'],
        postOptionalPackages: ['tray-post-missing'],
        extraIndexUrls: [`${index.origin}/extra/`],
        systemSitePackages: true,
        pipVersion: ['>=20'],
      }),
    );
    try {
      expect(logs).toContainEqual(expect.stringMatching(/^pip \S+ is within agent.package_manager.pip_version \(>=20\); not changed$/));
      const order = [
        logIndex('Installing priority package tray-alpha==1.0'),
        logIndex('Installing priority package tray-opt-missing==1.0 (optional)'),
        logIndex(/^WARNING: optional priority package tray-opt-missing==1\.0 was not installed .*; continuing without it$/),
        logIndex('Installing 3 requirements'),
        logIndex('Installing post package tray-gamma'),
        logIndex('Installing post package tray-post-missing==1.0 (optional)'),
        logIndex(/^WARNING: optional post package tray-post-missing==1\.0 was not installed/),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(run(env.pythonExecutable, 'import tray_alpha, tray_beta, tray_gamma, tray_extra; print(tray_alpha.__version__)')).toBe('1.0');
      expect(env.frozenRequirements).toEqual(['tray-alpha==1.0', 'tray-beta==1.0', 'tray-extra==1.0', 'Tray_Gamma==0.3']);
      expect(readFileSync(path.join(env.venvDir, 'pyvenv.cfg'), 'utf8')).toMatch(/include-system-site-packages = true/);
    } finally {
      await env.release();
    }
  });
});

describe('force_upgrade, force_original_requirements, force_repo_requirements_txt', () => {
  let python: string;
  const intoInterpreter = (pip: Partial<Record<'pip' | 'org_pip', string>>, extra: Partial<EnvironmentOptions> = {}) =>
    prepareEnvironment(
      { binary: 'python3', requirements: pip, repoDir, workingDir: repoDir, installIntoInterpreter: true },
      options({ pythonBinary: python, ignoreRequestedPythonVersion: true, cache: null, ...extra }),
    );

  beforeAll(async () => {
    // An interpreter that already has tray-alpha 1.0 (as an image's python would).
    const dir = path.join(root, 'preinstalled');
    execFileSync('python3', ['-m', 'venv', dir]);
    python = path.join(dir, 'bin', 'python');
    // Asynchronously: the index answers from this process's event loop.
    await promisify(execFile)(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...indexFlags(index), 'tray-alpha==1.0'], { env: isolatedPipEnv() });
  });

  it('force_upgrade: an installed package that satisfies the line is upgraded only with it', async () => {
    await intoInterpreter({ pip: 'tray-alpha' });
    expect(logs.some((l) => /Requirement already satisfied: tray-alpha/.test(l))).toBe(true);
    expect(run(python, 'import tray_alpha; print(tray_alpha.__version__)')).toBe('1.0');
    await intoInterpreter({ pip: 'tray-alpha' }, { forceUpgrade: true });
    expect(logs.findLast((l) => l.startsWith('Running:') && l.includes(' install '))).toMatch(/ --upgrade /);
    expect(run(python, 'import tray_alpha; print(tray_alpha.__version__)')).toBe('2.0');
  });

  it("force_original_requirements installs the task's org_pip instead of its pip", async () => {
    await intoInterpreter({ pip: 'tray-gamma', org_pip: 'tray-beta==1.0' }, { forceOriginalRequirements: true });
    expect(logs).toContain('Installing requirements from task script.requirements.org_pip');
    expect(run(python, 'import importlib.util as u; print(bool(u.find_spec("tray_beta")), bool(u.find_spec("tray_gamma")))')).toBe('True False');
  });

  it("force_repo_requirements_txt installs the repository's requirements.txt instead of the task's list", async () => {
    await writeFile(path.join(repoDir, 'requirements.txt'), 'Tray_Gamma\n');
    try {
      const env = await intoInterpreter({ pip: 'tray-nonexistent==9' }, { forceRepoRequirementsTxt: true });
      expect(logs.join('\n')).toMatch(/Installing requirements from .*requirements\.txt \(agent\.package_manager\.force_repo_requirements_txt is set\)/);
      expect(env.frozenRequirements).toContain('Tray_Gamma==0.3');
    } finally {
      await rm(path.join(repoDir, 'requirements.txt'));
    }
  });
});

describe('PyTorch resolution against a local index with the pytorch.org layout', () => {
  const template = () => `${index.origin}/whl/cu{}/`;
  let pipMode: PreparedEnvironment;
  afterAll(async () => pipMode?.release());

  it('pip: CUDA from nvidia-smi (the H200 recording: 13.0), walked down to the first index that exists', async () => {
    forgetFoundTorchIndexes();
    const before = index.requests.length;
    pipMode = await prepareEnvironment(request('torch==2.5.1'), options({ env: fakeNvidiaSmiEnv({ baseEnv: isolatedPipEnv() }), torch: { extraIndexUrlTemplate: template() } }));
    const asked = index.requests.slice(before).filter((r) => r.startsWith('/whl/'));
    expect(asked.slice(0, 3)).toEqual(['/whl/cu130/', '/whl/cu129/', '/whl/cu128/']);
    expect(asked).not.toContain('/whl/cu127/');
    expect(logs).toContain('PyTorch: torch==2.5.1 requested; CUDA 130 (from nvidia-smi (CUDA 13.0)); pytorch_resolve: pip');
    expect(logs).toContain(`PyTorch: CUDA 130, using index ${index.origin}/whl/cu128/`);
    expect(logs).toContain('PyTorch: installing torch==2.5.1.* (was torch==2.5.1)');
    expect(pipMode.frozenRequirements).toEqual(['torch==2.5.1+cu128']);
  });

  it('direct: no GPU (agent.cuda_version 0) → the cpu index; the wheel is installed by URL and frozen as name==version', async () => {
    const env = await prepareEnvironment(request('torch==2.5.1'), options({ cudaVersion: '0', torch: { resolve: 'direct', extraIndexUrlTemplate: template() } }));
    try {
      expect(logs).toContain(`PyTorch: no GPU (cpu), using index ${index.origin}/whl/cpu/`);
      expect(logs.some((l) => l.startsWith('PyTorch: torch==2.5.1 → ') && l.includes('/whl/cpu/files/torch-2.5.1%2Bcpu-py3-none-any.whl'))).toBe(true);
      expect(env.frozenRequirements).toHaveLength(1);
      expect(env.frozenRequirements[0]).toMatch(/^torch==2\.5\.1\+cpu # http:\/\/127\.0\.0\.1:\d+\/whl\/cpu\/files\/torch-2\.5\.1(%2B|\+)cpu-py3-none-any\.whl/);
      // What was installed is part of the key: a different index is a different environment.
      expect(env.cacheKey).not.toBe(pipMode.cacheKey);
    } finally {
      await env.release();
    }
  });

  it('none: the line goes to pip untouched (the plain torch from the main index)', async () => {
    const env = await prepareEnvironment(request('torch==2.5.1'), options({ cache: null, cudaVersion: '121', torch: { resolve: 'none', extraIndexUrlTemplate: template() } }));
    try {
      expect(logs.some((l) => l.startsWith('PyTorch:'))).toBe(false);
      expect(env.frozenRequirements).toEqual(['torch==2.5.1']);
    } finally {
      await env.release();
    }
  });
});
