// `npm run bench`: runs every benchmark under bench/ (each a standalone .mjs/.ts script that
// prints its figures as JSON) and writes the collected figures to bench/results/latest.json.
// docs/BENCHMARKS.md records the latest measured figures by hand from that file.
import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const benchDir = join(import.meta.dirname, '..', 'bench');
const only = process.argv.slice(2);
const scripts = readdirSync(benchDir)
  .filter((f) => /\.bench\.(mjs|ts)$/.test(f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const results = {};
let failed = false;
for (const script of scripts) {
  console.log(`== ${script}`);
  const runner = script.endsWith('.ts') ? ['npx', ['tsx', join(benchDir, script)]] : [process.execPath, [join(benchDir, script)]];
  const run = spawnSync(runner[0], runner[1], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(run.stdout);
  if (run.status !== 0) {
    failed = true;
    console.error(`bench ${script} failed with exit code ${run.status}`);
    continue;
  }
  const lastLine = run.stdout.trim().split('\n').at(-1) ?? '{}';
  try {
    results[script] = JSON.parse(lastLine);
  } catch {
    results[script] = { raw: lastLine };
  }
}
mkdirSync(join(benchDir, 'results'), { recursive: true });
writeFileSync(join(benchDir, 'results', 'latest.json'), JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
if (scripts.length === 0) console.log('no benchmarks yet');
process.exit(failed ? 1 : 0);
