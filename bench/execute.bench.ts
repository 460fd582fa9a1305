// The execute pipeline's own cost, against the embedded server with a cached environment:
//   1. cached-env overhead: runTask start → the task's first output line, minus the task's own
//      Python start-up (measured separately as `python -c print()` in the same venv), p50 over
//      N runs. Target ≤ 150 ms p50.
//   2. abort: tasks.stop → the task's whole process group gone (grace 0), p50/max over N runs.
//      Target ≤ 1 s.
// Prints human lines, then one JSON line with the figures.
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../src-main/server/index.js';
import { createApiClient } from '../src-main/engine/api/index.js';
import { createTaskRunApi } from '../src-main/engine/task-run/api-adapter.js';
import { runTask } from '../src-main/engine/task-run/run-task.js';
import { processGroupAlive } from '../src-main/engine/process/index.js';
import { taskRunSettings } from '../test/helpers/task-run-settings.js';
import { environmentCache, pipEnvironmentSettings } from '../test/helpers/environment-settings.js';

const RUNS = Number(process.env.EXECUTE_BENCH_RUNS ?? 30);
const root = await mkdtemp(join(tmpdir(), 'tray-agent-execute-bench-'));
const server = await startEmbeddedServer({ port: 0, dataDir: join(root, 'server') });
const credentials = server.createdCredentials!;
const client = createApiClient({ apiServer: server.url, credentials });
const api = createTaskRunApi(client);

const settings = taskRunSettings(root, {
  vcsCacheDir: join(root, 'vcs'),
  environment: pipEnvironmentSettings(root, { ignoreRequestedPythonVersion: true, cache: environmentCache(join(root, 'venvs-cache')) }),
  baseEnv: { PATH: process.env['PATH'], HOME: root },
  gpuEnv: {},
  abortPollIntervalMs: 500,
  abortGraceMs: 0,
  childConfig: { api: { api_server: server.url } },
  secrets: [credentials.secretKey],
});

async function newTask(script: string): Promise<string> {
  const { id } = await client.tasks.create({ name: 'bench', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script, requirements: { pip: '' } } } as never);
  return id;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Warm-up: builds the cached environment and learns its python.
await runTask({ taskId: await newTask('print("warm")\n'), workerId: 'bench:0', api, settings, monitoring: true, onEvent: () => undefined });
let probeOutput = '';
await runTask({ taskId: await newTask('import sys\nprint(sys.executable)\n'), workerId: 'bench:0', api, settings, monitoring: true, echo: (t) => (probeOutput += t) });
const venvPython = probeOutput.split('\n').find((l) => l.includes('venvs-cache') && l.endsWith('python'))?.trim() ?? 'python3';
const pythonStart: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  execFileSync(venvPython, ['-u', '-c', 'print("first")']);
  pythonStart.push(performance.now() - t);
}

const overheads: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const taskId = await newTask('print("first line", flush=True)\n');
  const t = performance.now();
  let firstLineAt = 0;
  await runTask({
    taskId,
    workerId: 'bench:0',
    api,
    settings,
    monitoring: true,
    echo: (text) => {
      if (!firstLineAt && text.includes('first line')) firstLineAt = performance.now();
    },
  });
  overheads.push(firstLineAt - t);
}
const overheadP50 = median(overheads) - median(pythonStart);
console.log(`cached-env overhead: p50 ${overheadP50.toFixed(1)} ms (start → first line ${median(overheads).toFixed(1)} ms minus python start ${median(pythonStart).toFixed(1)} ms) over ${RUNS} runs (target ≤ 150 ms)`);

const aborts: number[] = [];
const abortRuns = Math.max(5, Math.round(RUNS / 3));
for (let i = 0; i < abortRuns; i++) {
  const taskId = await newTask('import subprocess, time\nsubprocess.Popen(["sleep", "60"])\nprint("running", flush=True)\ntime.sleep(60)\n');
  let pid = 0;
  let running: () => void;
  const isRunning = new Promise<void>((r) => (running = r));
  const done = runTask({
    taskId,
    workerId: 'bench:0',
    api,
    settings,
    monitoring: true,
    echo: (text) => text.includes('running') && running(),
    onEvent: (e) => {
      if (e.type === 'process-started') pid = e.pid;
    },
  });
  await isRunning;
  await new Promise((r) => setTimeout(r, Math.random() * 1000));
  const t = performance.now();
  await client.tasks.stop({ task: taskId });
  while (await processGroupAlive(pid)) await new Promise((r) => setTimeout(r, 2));
  aborts.push(performance.now() - t);
  await done;
}
const abortP50 = median(aborts);
const abortMax = Math.max(...aborts);
console.log(`abort (tasks.stop → process group gone, grace 0, poll 0.5 s, the default): p50 ${abortP50.toFixed(0)} ms, max ${abortMax.toFixed(0)} ms over ${abortRuns} runs (target ≤ 1 s)`);

await server.close();
await rm(root, { recursive: true, force: true });
console.log(JSON.stringify({ cachedEnvOverheadP50Ms: Math.round(overheadP50 * 10) / 10, startToFirstLineP50Ms: Math.round(median(overheads)), pythonStartP50Ms: Math.round(median(pythonStart)), runs: RUNS, abortP50Ms: Math.round(abortP50), abortMaxMs: Math.round(abortMax), abortRuns }));
process.exit(0);
