// Idle footprint of a daemon: the built CLI (`node bin/tray-agent.js daemon`, as users run it)
// listening on 2 empty queues of the embedded server for 60 s. Reports its RSS, its CPU use
// (from /proc, after a 10 s settle) and the requests per second the server received from it.
// Targets: ≤ 50 MB RSS, ≤ 0.2 % CPU, ≤ 0.1 requests/s with long-poll
// (clearml-agent measured on our machines: 60 MB, 0.4 %, 0.63 requests/s for one queue).
// Prints human lines, then one JSON line with the figures.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../src-main/server/index.js';
import { createApiClient } from '../src-main/engine/api/index.js';
import { writeAgentConfig } from '../test/helpers/agent-config.js';

const SETTLE_MS = 10_000;
const WINDOW_MS = Number(process.env.IDLE_BENCH_SECONDS ?? 60) * 1000;
const repo = join(import.meta.dirname, '..');
if (!existsSync(join(repo, 'out/main/cli.js'))) execFileSync('npx', ['electron-vite', 'build'], { cwd: repo, stdio: 'ignore' });

const root = await mkdtemp(join(tmpdir(), 'tray-agent-idle-'));
let requests = 0;
let counting = false;
const byEndpoint = new Map<string, number>();
const server = await startEmbeddedServer({
  port: 0,
  dataDir: join(root, 'server'),
  onCallServed: (call) => {
    if (!counting) return;
    requests++;
    byEndpoint.set(call.endpoint, (byEndpoint.get(call.endpoint) ?? 0) + 1);
  },
});
const credentials = server.createdCredentials!;
const client = createApiClient({ apiServer: server.url, credentials });
await client.queues.create({ name: 'idle-a' });
await client.queues.create({ name: 'idle-b' });
const configFile = await writeAgentConfig(join(root, 'agent'), { url: server.url, credentials });
const daemon = spawn(process.execPath, [join(repo, 'bin/tray-agent.js'), '--config-file', configFile, 'daemon', '--queue', 'idle-a', 'idle-b'], {
  env: { PATH: process.env['PATH'], HOME: root },
  stdio: 'ignore',
});

const ticks = (): number => {
  const stat = readFileSync(`/proc/${daemon.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

await new Promise((r) => setTimeout(r, SETTLE_MS));
counting = true;
const startTicks = ticks();
const started = performance.now();
let peakRss = rssMb();
while (performance.now() - started < WINDOW_MS) {
  await new Promise((r) => setTimeout(r, 1_000));
  peakRss = Math.max(peakRss, rssMb());
}
const elapsedS = (performance.now() - started) / 1000;
const cpuPercent = ((ticks() - startTicks) / clockTicks / elapsedS) * 100;
counting = false;
const rss = rssMb();
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
await server.close();
await rm(root, { recursive: true, force: true });

const perSecond = requests / elapsedS;
console.log(`idle daemon on 2 queues for ${elapsedS.toFixed(0)} s: RSS ${rss.toFixed(1)} MB (peak ${peakRss.toFixed(1)}), CPU ${cpuPercent.toFixed(3)} %, ${perSecond.toFixed(3)} requests/s`);
console.log(`requests by endpoint: ${[...byEndpoint].map(([e, n]) => `${e} ${n}`).join(', ')}`);
console.log(JSON.stringify({ rssMb: Math.round(rss * 10) / 10, peakRssMb: Math.round(peakRss * 10) / 10, cpuPercent: Math.round(cpuPercent * 1000) / 1000, requestsPerSecond: Math.round(perSecond * 1000) / 1000, windowSeconds: Math.round(elapsedS) }));
process.exit(0);
