// The environment phase with pip and poetry against a local index (issue 14):
//   floor            python -m venv + pip install of the 5 packages by hand
//   pip cold         prepareEnvironment, empty cache (build + freeze + cache entry)
//   pip cold + pip_version  the same with clearml-agent's built-in pip_version list (a pip
//                    downgrade from the index first, as every clearml-agent venv gets)
//   pip hit          the same set again (cache hit)
//   pip changed      one requirement changed, warm cache (a miss: a new entry is built)
//   poetry cold      a fresh checkout of a locked project, empty poetry cache
//   poetry changed   a fresh checkout whose lock changes one package, warm poetry cache
// Median of RUNS runs each. Prints human lines, then one JSON line with the figures.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EnvironmentOptions } from '../src-main/engine/environment/index.js';
import { prepareEnvironment } from '../src-main/engine/environment/index.js';
import { isolatedPipEnv, repackagedPipWheel, startPackageIndex, type TestPackage } from '../test/helpers/package-index.js';
import { isolatedPoetryEnv, writeLockedPoetryProject } from '../test/helpers/python-repo.js';
import { environmentCache, pipEnvironmentSettings } from '../test/helpers/environment-settings.js';

const RUNS = Number(process.env.ENVIRONMENT_BENCH_RUNS ?? 3);
const run = promisify(execFile);
const root = await mkdtemp(join(tmpdir(), 'tray-agent-env-bench-'));
const names = ['bench-a', 'bench-b', 'bench-c', 'bench-d', 'bench-e'];
const packages: TestPackage[] = [
  ...names.map((name) => ({ name, version: '1.0' })),
  { name: 'bench-c', version: '2.0' },
  { name: 'pip', version: '22.2.2', prebuilt: repackagedPipWheel('22.2.2', root) },
];
const index = await startPackageIndex(packages);
const pipEnv = isolatedPipEnv();
const set = names.map((n) => `${n}==1.0`);
const changedSet = set.map((l) => (l.startsWith('bench-c') ? 'bench-c==2.0' : l));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => Math.round(ms) / 1000;
let counter = 0;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function floor(): Promise<number> {
  const dir = join(root, `floor-${++counter}`);
  const ms = await timed(async () => {
    await run('python3', ['-m', 'venv', dir]);
    await run(join(dir, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--index-url', index.url, ...set], { env: pipEnv });
  });
  await rm(dir, { recursive: true, force: true });
  return ms;
}

const repoDir = join(root, 'repo');
await mkdir(repoDir);
function pipOptions(cacheDir: string, extra: Partial<EnvironmentOptions> = {}): EnvironmentOptions {
  return {
    ...pipEnvironmentSettings(root, { extraPipInstallFlags: ['--index-url', index.url], cache: environmentCache(cacheDir) }),
    env: pipEnv,
    log: () => undefined,
    ...extra,
  };
}
async function prepare(lines: string[], cacheDir: string, extra: Partial<EnvironmentOptions> = {}): Promise<number> {
  let release: () => Promise<void> = async () => undefined;
  const ms = await timed(async () => {
    const env = await prepareEnvironment({ binary: 'python3', requirements: { pip: lines.join('\n') }, repoDir, workingDir: repoDir }, pipOptions(cacheDir, extra));
    release = () => env.release();
  });
  await release();
  return ms;
}

const BUILT_IN_PIP_VERSION = ["<20.2 ; python_version < '3.10'", "<22.3 ; python_version >= '3.10' and python_version <= '3.11'", ">=23,<24.3 ; python_version >= '3.12'"];
const results = { floor: [] as number[], pipCold: [] as number[], pipColdPipVersion: [] as number[], pipHit: [] as number[], pipChanged: [] as number[], poetryCold: [] as number[], poetryChanged: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  results.floor.push(await floor());
  const cacheDir = join(root, `cache-${i}`);
  results.pipCold.push(await prepare(set, cacheDir));
  results.pipHit.push(await prepare(set, cacheDir));
  results.pipChanged.push(await prepare(changedSet, cacheDir));
  results.pipColdPipVersion.push(await prepare(set, join(root, `cache-pv-${i}`), { pipVersion: BUILT_IN_PIP_VERSION }));
}

// Poetry: one locked template; the "changed" variant re-locks with bench-c 2.0.
const home = join(root, 'poetry-home');
await mkdir(home);
const poetryEnv = isolatedPoetryEnv(home, pipEnv);
const template = join(root, 'poetry-template');
const changedTemplate = join(root, 'poetry-template-changed');
const deps = Object.fromEntries(names.map((n) => [n, '1.0']));
await writeLockedPoetryProject(template, { indexUrl: index.url, dependencies: deps }, poetryEnv);
await writeLockedPoetryProject(changedTemplate, { indexUrl: index.url, dependencies: { ...deps, 'bench-c': '2.0' } }, poetryEnv);
async function poetry(from: string, freshCache: boolean): Promise<number> {
  const checkout = join(root, `poetry-checkout-${++counter}`);
  await cp(from, checkout, { recursive: true });
  if (freshCache) await rm(join(home, 'poetry-cache'), { recursive: true, force: true });
  let release: () => Promise<void> = async () => undefined;
  const ms = await timed(async () => {
    const env = await prepareEnvironment(
      { binary: 'python3', requirements: null, repoDir: checkout, workingDir: checkout },
      { ...pipOptions(join(root, 'unused')), packageManager: 'poetry', cache: null, env: poetryEnv },
    );
    release = () => env.release();
  });
  await release();
  await rm(checkout, { recursive: true, force: true });
  return ms;
}
for (let i = 0; i < RUNS; i++) {
  results.poetryCold.push(await poetry(template, true));
  results.poetryChanged.push(await poetry(changedTemplate, false));
}

const figures = Object.fromEntries(Object.entries(results).map(([k, v]) => [`${k}_p50_s`, seconds(median(v))]));
const lock = await readFile(join(template, 'poetry.lock'), 'utf8');
console.log(`environment bench: 5 packages, ${RUNS} runs each, lock ${lock.length} bytes`);
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(26)} ${v} s`);
await index.close();
await rm(root, { recursive: true, force: true });
console.log(JSON.stringify({ runs: RUNS, packages: 5, ...figures }));
