import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { commandAction, UsageError } from '../command-errors.js';
import { runCommand } from '../../engine/process/index.js';

// `tray-agent service install|uninstall|status`: the daemon as a systemd user service, for lab
// machines with no desktop session. The unit is ours alone (~/.config/systemd/user/tray-agent.service);
// install writes it (again) and starts it, uninstall stops and removes it. Without lingering,
// systemd stops user services at logout, so install says how to keep it running.

export const SERVICE_NAME = 'tray-agent.service';

export interface ServiceEnvironment {
  env: Record<string, string | undefined>;
  home: string;
  user: string;
  /** The command line that runs tray-agent here (node + bin, or the Electron app with --cli). */
  execCommand: readonly string[];
  /** systemctl / loginctl runner; its output is only read, never printed raw. */
  run(command: string, args: readonly string[]): Promise<{ ok: boolean; stdout: string; detail: string }>;
  out(text: string): void;
}

export function unitPath(env: Record<string, string | undefined>, home: string): string {
  return join(env['XDG_CONFIG_HOME']?.trim() || join(home, '.config'), 'systemd', 'user', SERVICE_NAME);
}

/** One ExecStart word: quoted when needed; `%` and `$` escaped so systemd takes them literally. */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, '\\$1')}"`;
}

export function renderServiceUnit(execCommand: readonly string[], daemonArgs: readonly string[], configFile: string | undefined): string {
  const words = [...execCommand, ...(configFile ? ['--config-file', resolve(configFile)] : []), 'daemon', ...daemonArgs];
  return [
    '# Written by `tray-agent service install`; `tray-agent service uninstall` removes it.',
    '[Unit]',
    'Description=Tray Agent daemon (ClearML-compatible execution agent)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${words.map(systemdWord).join(' ')}`,
    'WorkingDirectory=%h',
    // SIGTERM to the daemon alone: it stops its tasks itself (SIGINT, SIGTERM, SIGKILL within the grace).
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=90',
    'Restart=on-failure',
    'RestartSec=10',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** How to start tray-agent from a unit: the Electron app's `--cli`, else this Node and the bin script. */
export function defaultExecCommand(env: Record<string, string | undefined> = process.env): string[] {
  if (process.versions['electron']) return [env['APPIMAGE']?.trim() || process.execPath, '--cli'];
  const candidates = [join(import.meta.dirname, '..', '..', 'bin', 'tray-agent.js'), join(import.meta.dirname, '..', '..', '..', 'bin', 'tray-agent.js')];
  const bin = candidates.find((path) => existsSync(path)) ?? candidates[0]!;
  return [process.execPath, resolve(bin)];
}

async function systemctl(io: ServiceEnvironment, ...args: string[]) {
  return io.run('systemctl', ['--user', ...args]);
}

const startHint = `systemctl --user daemon-reload && systemctl --user enable --now ${SERVICE_NAME}`;

async function lingerAdvice(io: ServiceEnvironment): Promise<void> {
  const linger = await io.run('loginctl', ['show-user', io.user, '--property=Linger']);
  if (linger.ok && /Linger=yes/.test(linger.stdout)) return;
  io.out(
    `To keep it running after you log out, and to start it at boot before anyone logs in, enable lingering:\n  loginctl enable-linger ${io.user}\n(as ${io.user}, or with sudo)\n`,
  );
}

export async function installService(io: ServiceEnvironment, options: { daemonArgs: readonly string[]; configFile?: string; start: boolean }): Promise<number> {
  const path = unitPath(io.env, io.home);
  const unit = renderServiceUnit(io.execCommand, options.daemonArgs, options.configFile);
  const previous = await readFile(path, 'utf8').catch(() => null);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, unit, { mode: 0o644 });
  io.out(`${previous === null ? 'Wrote' : previous === unit ? 'Kept' : 'Updated'} ${path}\n  ${unit.split('\n').find((l) => l.startsWith('ExecStart='))}\n`);
  if (!options.start) {
    io.out(`Start it with:\n  ${startHint}\n`);
    await lingerAdvice(io);
    return 0;
  }
  const reload = await systemctl(io, 'daemon-reload');
  const enable = reload.ok ? await systemctl(io, 'enable', '--now', SERVICE_NAME) : reload;
  if (!enable.ok) {
    io.out(`The unit is written, but systemd's user manager could not start it (${enable.detail}).\nIn a login session of this user run:\n  ${startHint}\n`);
    await lingerAdvice(io);
    return 1;
  }
  if (previous !== null && previous !== unit) await systemctl(io, 'restart', SERVICE_NAME);
  io.out(`Started ${SERVICE_NAME}; follow it with: journalctl --user -u ${SERVICE_NAME} -f\n`);
  await lingerAdvice(io);
  return 0;
}

export async function uninstallService(io: ServiceEnvironment): Promise<number> {
  const path = unitPath(io.env, io.home);
  if (!existsSync(path)) {
    io.out(`${SERVICE_NAME} is not installed (no ${path}); nothing to do\n`);
    return 0;
  }
  const stop = await systemctl(io, 'disable', '--now', SERVICE_NAME);
  await rm(path, { force: true });
  await systemctl(io, 'daemon-reload');
  io.out(`Removed ${path}\n`);
  if (!stop.ok) io.out(`systemd's user manager could not be asked to stop it (${stop.detail}); if it still runs: systemctl --user stop ${SERVICE_NAME}\n`);
  return 0;
}

export async function serviceStatus(io: ServiceEnvironment): Promise<number> {
  const path = unitPath(io.env, io.home);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) {
    io.out(`${SERVICE_NAME}: not installed (install with \`tray-agent service install --queue <name>\`)\n`);
    return 3;
  }
  const active = await systemctl(io, 'is-active', SERVICE_NAME);
  const enabled = await systemctl(io, 'is-enabled', SERVICE_NAME);
  const state = active.stdout.trim() || 'unknown';
  io.out(
    `${SERVICE_NAME}: installed at ${path}\n  ${text.split('\n').find((l) => l.startsWith('ExecStart=')) ?? ''}\n` +
      `  active: ${state}${active.ok || active.stdout.trim() ? '' : ` (${active.detail})`}\n  enabled: ${enabled.stdout.trim() || 'unknown'}\n`,
  );
  await lingerAdvice(io);
  return state === 'active' ? 0 : 3;
}

async function runTool(command: string, args: readonly string[]) {
  const result = await runCommand(command, args, { env: process.env, captureStdout: true, timeoutMs: 30_000 });
  if (result.spawnError) return { ok: false, stdout: '', detail: `${command} not found (${result.spawnError.code ?? result.spawnError.message})` };
  const tail = result.outputTail.filter(Boolean).at(-1) ?? `exit code ${result.exitCode}`;
  return { ok: result.exitCode === 0, stdout: result.stdout, detail: tail };
}

function environment(): ServiceEnvironment {
  return {
    env: process.env,
    home: homedir(),
    user: process.env['USER'] || userInfo().username,
    execCommand: defaultExecCommand(),
    run: runTool,
    out: (text) => process.stdout.write(text),
  };
}

export function registerServiceCommand(program: Command): void {
  const service = program.command('service').description('run the daemon as a systemd user service (headless machines)');
  service
    .command('install')
    .description('write ~/.config/systemd/user/tray-agent.service running `tray-agent daemon [ARGS]` and start it')
    .argument('[daemonArgs...]', 'daemon flags after --, e.g. -- --queue default --gpus 0')
    .option('--no-start', 'only write the unit')
    // Daemon flags may follow with or without `--`; the daemon checks them when it starts.
    .allowUnknownOption(true)
    .action(
      commandAction('service install', async (daemonArgs: string[], flags: { start: boolean }, cmd: Command) => {
        if (daemonArgs.includes('--detached') || daemonArgs.includes('--stop')) throw new UsageError('the service runs the daemon in the foreground: leave out --detached and --stop');
        const configFile = cmd.optsWithGlobals()['configFile'] as string | undefined;
        process.exitCode = await installService(environment(), { daemonArgs, configFile, start: flags.start });
      }),
    );
  service
    .command('uninstall')
    .description('stop the service and remove its unit')
    .action(commandAction('service uninstall', async () => void (process.exitCode = await uninstallService(environment()))));
  service
    .command('status')
    .description('is the service installed, running, enabled (exit 3 when not running)')
    .action(commandAction('service status', async () => void (process.exitCode = await serviceStatus(environment()))));
}
