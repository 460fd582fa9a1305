import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, spawnCli } from '../helpers/cli-process.js';

// `tray-agent up` on a "fresh machine": an empty HOME, no clearml.conf, no server running.
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tray-agent-up-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('tray-agent up', () => {
  it('starts server + daemon, writes ~/clearml.conf, runs the sample task with its log, keeps running until Ctrl+C', async () => {
    const up = spawnCli(['up', '--port', '0'], { env: { HOME: home, CLEARML_CONFIG_FILE: '' } });
    const exited = exitOf(up);
    const end = Date.now() + 120_000;
    while (!/Sample task [0-9a-f]{32}: \w+/.test(up.output())) {
      if (Date.now() > end || up.exitCode !== null) throw new Error(`no sample task result; output:\n${up.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const output = up.output();
    expect(output).toMatch(/Started the embedded ClearML-compatible server at http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/Wrote .*clearml\.conf \(mode 0600\)/);
    expect(output).toContain('hello from task');
    expect(output).toContain('epoch 5/5');
    expect(output).toMatch(/Sample task [0-9a-f]{32}: completed/);
    expect(output).toMatch(/keep running/);
    const conf = join(home, 'clearml.conf');
    expect((await stat(conf)).mode & 0o777).toBe(0o600);
    expect(await readFile(conf, 'utf8')).toMatch(/secret_key/);
    expect(up.exitCode).toBeNull(); // still running
    // The dashboard: loopback only, behind the token in the printed address.
    const dashboard = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+)/.exec(output)?.[1];
    expect(dashboard).toBeTruthy();
    expect((await fetch(dashboard!)).status).toBe(200);
    expect((await fetch(new URL('/', dashboard!).toString())).status).toBe(401);
    up.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('Ctrl+C while the sample task runs stops it and exits 0', async () => {
    const up = spawnCli(['up', '--port', '0'], { env: { HOME: home, CLEARML_CONFIG_FILE: '' } });
    const exited = new Promise<string>((r) => up.once('exit', (code, signal) => r(`${code}/${signal}`)));
    const end = Date.now() + 60_000;
    while (!/pulled from default/.test(up.output())) {
      if (Date.now() > end || up.exitCode !== null) throw new Error(`the sample task was not pulled; output:\n${up.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    up.kill('SIGINT');
    const code = await exited;
    expect(up.output()).toMatch(/Stopping: aborting 1 running task/);
    expect(code).toBe('0/null');
  });
});

