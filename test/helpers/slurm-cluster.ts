// The real one-node Slurm cluster the glue suites run against (scripts/lib/ensure-slurm.sh
// installs and starts it; `npm run test:all` calls that). Nothing here fakes Slurm: it checks
// the cluster answers, builds the CLI the jobs start (bin/tray-agent.js runs out/), and reads
// squeue the way a user would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Fails (never skips) when there is no usable cluster, naming the fix. */
export async function requireSlurmCluster(): Promise<void> {
  let state: string;
  try {
    state = (await execFileAsync('sinfo', ['--noheader', '--format=%T'])).stdout.trim().split('\n')[0] ?? '';
  } catch (error) {
    throw new Error(`no Slurm cluster answers here (${(error as Error).message.split('\n')[0]}); run: bash -c 'source scripts/lib/ensure-tools.sh; ensure_test_prerequisites' as root (npm run test:all does)`, { cause: error });
  }
  if (!/^(idle|mixed|allocated)/.test(state)) throw new Error(`the Slurm node is "${state}", not idle; see sinfo -R and /var/log/slurm/`);
}

/** Jobs start bin/tray-agent.js, which loads the built CLI: build it from this checkout. */
export async function buildCli(): Promise<void> {
  await execFileAsync(process.execPath, [`${repoRoot}/node_modules/electron-vite/bin/electron-vite.js`, 'build'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
}

export interface SlurmJobRow {
  jobId: string;
  name: string;
  state: string;
  reason: string;
}

/** Every job (any state Slurm still remembers) named `clearml_task_<taskId>`. */
export async function slurmJobsOfTask(taskId: string): Promise<SlurmJobRow[]> {
  const { stdout } = await execFileAsync('squeue', ['--noheader', '--states=all', `--name=clearml_task_${taskId}`, '--format=%i|%j|%T|%r']);
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [jobId = '', name = '', state = '', reason = ''] = l.split('|');
      return { jobId, name, state, reason };
    });
}

/** Jobs of the glue (names `clearml_task_*`) that are pending or running now. */
export async function liveGlueJobs(): Promise<SlurmJobRow[]> {
  const { stdout } = await execFileAsync('squeue', ['--noheader', '--states=PENDING,RUNNING,CONFIGURING,COMPLETING', '--format=%i|%j|%T|%r']);
  return stdout
    .split('\n')
    .filter((l) => l.includes('|clearml_task_'))
    .map((l) => {
      const [jobId = '', name = '', state = '', reason = ''] = l.split('|');
      return { jobId, name, state, reason };
    });
}

