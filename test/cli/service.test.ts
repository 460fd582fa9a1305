import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCliCaptured } from '../helpers/run-cli-captured.js';
import { renderServiceUnit, systemdWord, defaultExecCommand } from '../../src-main/cli/commands/service.js';

// `tray-agent service`: the unit is checked by the real systemd-analyze; the user manager itself
// cannot run in our containers, so the success path uses a TEST DOUBLE of systemctl/loginctl
// (shell scripts on PATH that log their arguments), and the failure path the real systemctl.

let xdg: string;
const saved = { PATH: process.env['PATH'], XDG_CONFIG_HOME: process.env['XDG_CONFIG_HOME'] };

beforeEach(() => {
  xdg = mkdtempSync(join(tmpdir(), 'service-xdg-'));
  process.env['XDG_CONFIG_HOME'] = xdg;
});
afterEach(() => {
  process.env['PATH'] = saved.PATH;
  if (saved.XDG_CONFIG_HOME === undefined) delete process.env['XDG_CONFIG_HOME'];
  else process.env['XDG_CONFIG_HOME'] = saved.XDG_CONFIG_HOME;
});

const unitFile = () => join(xdg, 'systemd', 'user', 'tray-agent.service');

/** TEST DOUBLE of systemd's user tools: logs each call, succeeds, and says lingering is on. */
function fakeSystemd(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-systemd-'));
  const log = join(dir, 'calls.log');
  writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> ${log}\ncase "$*" in *is-active*) echo active;; *is-enabled*) echo enabled;; esac\nexit 0\n`);
  writeFileSync(join(dir, 'loginctl'), `#!/bin/sh\necho "loginctl $*" >> ${log}\necho Linger=yes\n`);
  chmodSync(join(dir, 'systemctl'), 0o755);
  chmodSync(join(dir, 'loginctl'), 0o755);
  process.env['PATH'] = `${dir}:${saved.PATH}`;
  return log;
}

describe('the unit file', () => {
  it('passes systemd-analyze verify, with arguments that need quoting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unit-verify-'));
    const unit = renderServiceUnit(['/usr/bin/node', '/opt/tray agent/bin/tray-agent.js'], ['--queue', 'gpu 100%', '--gpus', '0,1', '--docker', 'img:$TAG'], '/home/me/lab.conf');
    writeFileSync(join(dir, 'tray-agent.service'), unit);
    execFileSync('systemd-analyze', ['verify', join(dir, 'tray-agent.service')], { stdio: 'pipe' });
    expect(unit).toContain('ExecStart=/usr/bin/node "/opt/tray agent/bin/tray-agent.js" --config-file /home/me/lab.conf daemon --queue "gpu 100%%" --gpus 0,1 --docker "img:$$TAG"');
    expect(unit).toContain('KillMode=mixed');
    expect(unit).toContain('WantedBy=default.target');
  });

  it('systemd-analyze rejects what systemdWord would get wrong (proof the check bites)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unit-verify-'));
    writeFileSync(join(dir, 'tray-agent.service'), '[Service]\nExecStart=relative/node\n');
    expect(() => execFileSync('systemd-analyze', ['verify', join(dir, 'tray-agent.service')], { stdio: 'pipe' })).toThrow();
    expect(systemdWord('a"b\\c d')).toBe('"a\\"b\\\\c d"');
  });

  it('runs this Node with the bin script when not under Electron', () => {
    const [node, bin] = defaultExecCommand({});
    expect(node).toBe(process.execPath);
    expect(existsSync(bin!)).toBe(true);
    expect(bin!.endsWith('bin/tray-agent.js')).toBe(true);
  });
});

describe('tray-agent service', () => {
  it('install --no-start writes the unit (0644) with the daemon flags and says how to start and linger', async () => {
    const run = await runCliCaptured('service', 'install', '--no-start', '--queue', 'default', '--gpus', '0');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Wrote ${unitFile()}`);
    expect(readFileSync(unitFile(), 'utf8')).toMatch(/ExecStart=.* daemon --queue default --gpus 0\n/);
    expect(run.stdout).toContain('systemctl --user daemon-reload && systemctl --user enable --now tray-agent.service');
    expect(run.stdout).toMatch(/loginctl enable-linger \S+/);
    expect((await runCliCaptured('service', 'install', '--no-start', '--queue', 'default', '--gpus', '0')).stdout).toContain(`Kept ${unitFile()}`);
  });

  it('install starts it through systemctl --user and skips the linger advice when lingering is on', async () => {
    const log = fakeSystemd();
    const run = await runCliCaptured('service', 'install', '--', '--queue', 'default');
    expect(run.code).toBe(0);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now tray-agent.service',
      expect.stringMatching(/^loginctl show-user \S+ --property=Linger$/),
    ]);
    expect(run.stdout).toContain('Started tray-agent.service; follow it with: journalctl --user -u tray-agent.service -f');
    expect(run.stdout).not.toContain('enable-linger');
    const status = await runCliCaptured('service', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('active: active');
  });

  it('changing the flags rewrites the unit and restarts the service', async () => {
    const log = fakeSystemd();
    await runCliCaptured('service', 'install', '--queue', 'a');
    const run = await runCliCaptured('service', 'install', '--queue', 'b');
    expect(run.stdout).toContain(`Updated ${unitFile()}`);
    expect(readFileSync(log, 'utf8')).toContain('systemctl --user restart tray-agent.service');
  });

  it('without a user manager (real systemctl here) it keeps the unit, says why and what to run, exit 1', async () => {
    mkdirSync(join(xdg, 'bin'));
    const run = await runCliCaptured('service', 'install', '--queue', 'default');
    expect(run.code).toBe(1);
    expect(existsSync(unitFile())).toBe(true);
    expect(run.stdout).toMatch(/could not start it \(.+\)/);
    expect(run.stdout).toContain('In a login session of this user run:');
  });

  it('uninstall stops, disables and removes it; twice is fine', async () => {
    const log = fakeSystemd();
    await runCliCaptured('service', 'install', '--queue', 'default');
    const run = await runCliCaptured('service', 'uninstall');
    expect(run.code).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
    expect(readFileSync(log, 'utf8')).toContain('systemctl --user disable --now tray-agent.service');
    expect((await runCliCaptured('service', 'uninstall')).stdout).toContain('not installed');
  });

  it('status of a missing service exits 3; --detached is refused (exit 2)', async () => {
    const status = await runCliCaptured('service', 'status');
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('not installed');
    const detached = await runCliCaptured('service', 'install', '--', '--queue', 'q', '--detached');
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain('leave out --detached');
  });
});
