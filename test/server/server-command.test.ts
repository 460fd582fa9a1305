import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clientUrl,
  parseServerFlags,
  renderApiSection,
  runServerCommand,
  type ServerFlags,
} from '../../src-main/cli/commands/server.js';
import { login, rawCall } from './api-call.js';

const scratch = mkdtempSync(join(tmpdir(), 'tray-agent-server-cmd-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('tray-agent server flags', () => {
  it('defaults to 127.0.0.1:8008 and ~/.tray-agent/server', () => {
    expect(parseServerFlags({}, '/home/u')).toEqual({ host: '127.0.0.1', port: 8008, dataDir: '/home/u/.tray-agent/server', initConf: false });
    expect(parseServerFlags({ host: '0.0.0.0', port: '9000', dataDir: '~/srv', initConf: true }, '/home/u')).toEqual({
      host: '0.0.0.0',
      port: 9000,
      dataDir: '/home/u/srv',
      initConf: true,
    });
  });

  it('takes the files server port and upload limit', () => {
    expect(parseServerFlags({ port: '9000', filesPort: '9001', filesMaxUploadMb: '64' }, '/home/u')).toMatchObject({ port: 9000, filesPort: 9001, maxUploadBytes: 64 * 1024 * 1024 });
    expect(() => parseServerFlags({ filesPort: 'x' })).toThrow(/--files-port "x"/);
    expect(() => parseServerFlags({ port: '9000', filesPort: '9000' })).toThrow(/--files-port 9000 is the API's --port/);
    expect(() => parseServerFlags({ filesMaxUploadMb: '0' })).toThrow(/--files-max-upload-mb "0"/);
  });

  it('names the flag and the fix for bad values', () => {
    expect(() => parseServerFlags({ port: 'abc' })).toThrow(/--port "abc".*integer from 1 to 65535/);
    expect(() => parseServerFlags({ port: '70000' })).toThrow(/--port "70000"/);
    expect(() => parseServerFlags({ port: '-1' })).toThrow(/--port "-1"/);
    expect(() => parseServerFlags({ host: 'a b' })).toThrow(/--host "a b"/);
    expect(() => parseServerFlags({ dataDir: '  ' })).toThrow(/--data-dir is empty/);
  });

  it('renders the clearml.conf api section; wildcard binds are reached through loopback', () => {
    expect(clientUrl('0.0.0.0', 8008)).toBe('http://127.0.0.1:8008');
    expect(clientUrl('::1', 8008)).toBe('http://[::1]:8008');
    const section = renderApiSection('http://127.0.0.1:8008', { accessKey: 'AK', secretKey: 'SK' }, { webUrl: 'http://127.0.0.1:8008', filesUrl: 'http://127.0.0.1:8081' });
    expect(section).toContain('api_server: http://127.0.0.1:8008');
    expect(section).toContain('web_server: http://127.0.0.1:8008');
    expect(section).toContain('files_server: http://127.0.0.1:8081');
    expect(section).toMatch(/credentials \{\n\s+"access_key" = "AK"\n\s+"secret_key" = "SK"\n\s+\}/);
  });
});

describe('tray-agent server run', () => {
  it('prints the api section once, writes clearml.conf with --init-conf and never overwrites it', async () => {
    const dataDir = join(scratch, 'data');
    const confPath = join(scratch, 'clearml.conf');
    const flags: ServerFlags = { host: '127.0.0.1', port: 0, dataDir, initConf: true };
    let output = '';
    let stop!: () => void;
    const running = runServerCommand(flags, {
      out: (text) => (output += text),
      err: () => {},
      home: scratch,
      confPath,
      untilStopped: new Promise<void>((resolve) => (stop = resolve)),
    });
    await expect.poll(() => output, { timeout: 5000 }).toContain('press Ctrl+C');
    const url = /ClearML API on (http:\/\/\S+)/.exec(output)?.[1] as string;
    const accessKey = /"access_key" = "(\w+)"/.exec(output)?.[1] as string;
    const secretKey = /"secret_key" = "(\w+)"/.exec(output)?.[1] as string;
    expect(output).toContain(`wrote ${confPath}`);
    expect(statSync(confPath).mode & 0o777).toBe(0o600);
    const conf = readFileSync(confPath, 'utf8');
    expect(conf).toContain(`"secret_key" = "${secretKey}"`);
    const filesUrl = /files server on (http:\/\/\S+),/.exec(output)?.[1] as string;
    expect(filesUrl).not.toBe(url);
    expect(conf).toContain(`files_server: ${filesUrl}`);
    expect(conf).toContain(`web_server: ${url}`);
    // the files server answers there: an upload and its download
    const form = new FormData();
    form.append('cmd-test/hello.txt', new Blob(['hi there']), 'cmd-test/hello.txt');
    expect((await fetch(`${filesUrl}/`, { method: 'POST', body: form })).status).toBe(200);
    expect(await (await fetch(`${filesUrl}/cmd-test/hello.txt`)).text()).toBe('hi there');
    const session = await login({ url, credentials: { accessKey, secretKey } });
    expect((await session.call('queues.get_default')).status).toBe(200);
    stop();
    await running;
    expect(output).toContain('stopping');

    // second start: no secret printed, the existing conf is left alone
    writeFileSync(confPath, 'mine', { mode: 0o600 });
    output = '';
    const again = runServerCommand(flags, {
      out: (text) => (output += text),
      err: () => {},
      home: scratch,
      confPath,
      untilStopped: new Promise<void>((resolve) => (stop = resolve)),
    });
    await expect.poll(() => output, { timeout: 5000 }).toContain('press Ctrl+C');
    expect(output).not.toContain('secret_key');
    expect(output).toContain('already exists; left it unchanged');
    expect(readFileSync(confPath, 'utf8')).toBe('mine');
    stop();
    await again;
  });

  it('runs from the command line until SIGTERM and exits cleanly; bad flags exit 2', async () => {
    const dataDir = join(scratch, 'cli-data');
    const cli = (args: string[]) =>
      spawn(process.execPath, ['--import', 'tsx', '-e', "const m = await import('./src-main/cli/main.ts'); process.exitCode = await m.runCli(process.argv.slice(1));", ...args], {
        cwd: repoRoot,
        env: { ...process.env, HOME: scratch },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const child = cli(['server', '--port', '0', '--data-dir', dataDir]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await expect.poll(() => stdout, { timeout: 15_000 }).toContain('press Ctrl+C');
    const url = /ClearML API on (http:\/\/\S+)/.exec(stdout)?.[1] as string;
    expect((await rawCall(url, 'debug.ping')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopping');

    const bad = cli(['server', '--port', 'eighty']);
    let stderr = '';
    bad.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const badCode = await new Promise<number | null>((resolve) => bad.once('exit', (code) => resolve(code)));
    expect(badCode).toBe(2);
    expect(stderr).toContain('--port "eighty"');
  });
});
