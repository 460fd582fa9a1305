import { hostname } from 'node:os';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { createApiClient } from '../../engine/api/index.js';
import { apiClientOptionsFromConfig } from '../../engine/api/from-config.js';
import { GpuSpecError, DynamicGpuSpecError } from '../../engine/gpu/index.js';
import { ScheduleSpecError, decideActive } from '../../engine/schedule/index.js';
import { DaemonSetupError, daemonIdentity, loadDaemonConfig, type DaemonFlags } from '../../engine/daemon/start-daemon.js';
import { resolveDaemonSettings } from '../../engine/daemon/daemon-settings.js';
import { createDaemonApi } from '../../engine/daemon/api-adapter.js';
import { drainSignal, listLocalWorkers, pickDaemonsToStop, stopLocalDaemons } from '../../engine/daemon/local-control.js';
import { startDetachedProcess } from '../../engine/process/index.js';
import { AgentHost, handleStopSignals } from '../../control/index.js';
import { commandAction, UsageError, usageErrorsExitWith2 } from '../command-errors.js';
import { productVersion } from '../../../src-shared/product.js';
import { terminalRedactor } from '../terminal-output.js';

interface DaemonCliFlags {
  queue?: string[];
  orderFairness?: boolean;
  pollingInterval?: string;
  foreground?: boolean;
  detached?: boolean;
  docker?: string[] | boolean;
  servicesMode?: string | boolean;
  createQueue?: boolean;
  childReportTags?: string[];
  stop?: string[] | boolean;
  drain?: boolean;
  dynamicGpus?: boolean;
  uptime?: string[];
  downtime?: string[];
  status?: boolean;
  gpus?: string;
  cpuOnly?: boolean;
  gitUser?: string;
  gitPass?: string;
  logLevel?: string;
  useOwnerToken?: boolean;
  standaloneMode?: boolean;
  forceCurrentVersion?: boolean;
  O?: number;
}

function toDaemonFlags(flags: DaemonCliFlags, configFile: string | undefined): DaemonFlags {
  let servicesMode: number | null | false = false;
  if (flags.servicesMode === true) servicesMode = null;
  else if (typeof flags.servicesMode === 'string') {
    const n = Number(flags.servicesMode);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--services-mode "${flags.servicesMode}": expected a whole number ≥ 1, or no value for unlimited`);
    servicesMode = n;
  }
  let pollingIntervalSec: number | undefined;
  if (flags.pollingInterval !== undefined) {
    pollingIntervalSec = Number(flags.pollingInterval);
    if (!Number.isFinite(pollingIntervalSec)) throw new UsageError(`--polling-interval "${flags.pollingInterval}": expected a number of seconds`);
  }
  return {
    queues: flags.queue ?? [],
    createQueue: flags.createQueue,
    orderFairness: flags.orderFairness,
    pollingIntervalSec,
    gpus: flags.gpus ?? null,
    cpuOnly: flags.cpuOnly,
    dynamicGpus: flags.dynamicGpus,
    servicesMode,
    uptime: flags.uptime ?? null,
    downtime: flags.downtime ?? null,
    configFile,
    childReportTags: flags.childReportTags,
    standalone: flags.standaloneMode,
    optimizeLevel: flags.O,
  };
}

/** Bad flag values become usage errors (exit 2) naming the flag. */
function asUsageError(error: unknown): never {
  if (error instanceof GpuSpecError || error instanceof DynamicGpuSpecError || error instanceof ScheduleSpecError || error instanceof DaemonSetupError) {
    throw new UsageError(error.message);
  }
  throw error;
}

function timestamped(level: string, text: string): string {
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}\n`;
}

export function registerDaemonCommand(program: Command): void {
  const command = program
    .command('daemon')
    .description('register as a worker, pull tasks from queues and run them (as clearml-agent daemon)')
    .option('--queue <queues...>', 'queue names or ids, highest priority first (default: the server default queue); with --dynamic-gpus NAME=GPUS')
    .option('--order-fairness', 'round-robin over the queues instead of strict priority')
    .option('--polling-interval <seconds>', 'pause between pulls when the server has no long-poll (default 5, minimum 0.1)')
    .option('--foreground', 'also print every task\'s output to this terminal')
    .option('-d, --detached', 'run in the background; pid file and log file under ~/.tray-agent/')
    .addOption(new Option('--docker [image...]', 'Docker mode (not available in this version)'))
    .option('--services-mode [max]', 'run each task in the background as its own worker W:service:T (at most MAX at once)')
    .option('--create-queue', 'create queues that do not exist')
    .option('--child-report-tags <tags...>', 'tags for worker status reports')
    .option('--stop [workerIds...]', 'stop the local daemon started with the same flags (or these worker ids)')
    .option('--drain', 'with --stop: finish running tasks, pull nothing new, then exit')
    .option('--dynamic-gpus', 'share --gpus between several tasks, per-queue GPU counts (--queue dual=2 half=0.5)')
    .option('--uptime <entries...>', 'pull only inside these windows, e.g. "17-20 SUN-TUE" "20 SAT"')
    .option('--downtime <entries...>', 'do not pull inside these windows')
    .option('--status', 'print whether this worker would pull now, per queue, and why; then exit')
    .option('--gpus <spec>', 'GPUs: 0 | 0,1 | 0-3 | all | 0:1 (MIG)')
    .option('--cpu-only', 'no GPU for the tasks')
    .addOption(new Option('--git-user <user>').hideHelp())
    .addOption(new Option('--git-pass <pass>').hideHelp())
    .option('--log-level <level>', 'DEBUG, INFO, WARNING, ERROR')
    .option('--use-owner-token', 'run tasks with their owner\'s token (enterprise servers only)')
    .option('--standalone-mode', 'no clone, no installs: tasks run with the code and interpreter at hand')
    .addOption(new Option('-O', 'python optimisation flag for the tasks, repeatable (-O, -OO)').argParser((_v, previous: number | undefined) => (previous ?? 0) + 1))
    .addOption(new Option('--force-current-version', 'Docker mode only (pins the agent inside containers)').hideHelp())
    .action(
      commandAction('daemon', async (flags: DaemonCliFlags, cmd: Command) => {
        const configFile = cmd.optsWithGlobals().configFile as string | undefined;
        if (flags.docker !== undefined) throw new UsageError('--docker: Docker mode is not available in this version of Tray Agent; run without --docker (venv mode)');
        if (flags.drain && flags.stop === undefined) throw new UsageError(`--drain goes with --stop (or send ${drainSignal} to the daemon)`);
        if (flags.forceCurrentVersion) process.stderr.write('tray-agent daemon: --force-current-version only matters in Docker mode; ignored\n');
        if (flags.useOwnerToken) process.stderr.write('tray-agent daemon: --use-owner-token needs an enterprise ClearML server (impersonation); ignored: tasks run with this agent\'s credentials\n');
        if (flags.gitUser || flags.gitPass) process.stderr.write('tray-agent daemon: --git-user/--git-pass are ignored (as in clearml-agent); set agent.git_user/git_pass or CLEARML_AGENT_GIT_USER/PASS\n');
        const daemonFlags = toDaemonFlags(flags, configFile);
        if (flags.stop !== undefined) return stopLocalDaemon(daemonFlags, Array.isArray(flags.stop) ? flags.stop : [], flags.drain ?? false);
        if (flags.status) return printStatus(daemonFlags);
        if (flags.detached) return startDetached(daemonFlags);
        return runDaemon(daemonFlags, flags);
      }),
    );
  usageErrorsExitWith2(command);
}

async function runDaemon(flags: DaemonFlags, cli: DaemonCliFlags): Promise<void> {
  const debug = (cli.logLevel ?? '').toUpperCase() === 'DEBUG';
  const redact = await terminalRedactor(flags.configFile);
  const log = (level: string, text: string): void => {
    if (level === 'debug' && !debug) return;
    process.stdout.write(redact(timestamped(level, text)));
  };
  const host = new AgentHost({ version: productVersion, configFile: flags.configFile, log: (level, text) => log(level, text) });
  try {
    await host.startDaemon(flags, { echoTaskOutput: cli.foreground ? (text) => process.stdout.write(text) : undefined });
  } catch (error) {
    await host.shutdown();
    asUsageError(error);
  }
  const signals = handleStopSignals({ stop: () => void host.shutdown(), drain: () => void host.shutdown({ drain: true }) }, { onImmediateExit: () => log('warn', 'Second interrupt: exiting without waiting (running tasks are reaped on next start)') });
  try {
    await host.allDaemonsDone();
    await host.shutdown();
  } finally {
    signals.dispose();
  }
}

/** Re-runs this command line without --detached as a background process with its own log file. */
async function startDetached(flags: DaemonFlags): Promise<void> {
  const stateDir = (await loadDaemonConfig({ flags })).config.agent.stateDir;
  const logDir = join(stateDir, 'logs');
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `daemon-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const handle = await open(logFile, 'a', 0o600);
  const args = process.argv.slice(1).filter((a) => a !== '--detached' && a !== '-d');
  try {
    const pid = startDetachedProcess({ command: process.execPath, args: [...process.execArgv, ...args], env: process.env, outputFd: handle.fd });
    process.stdout.write(`Tray Agent daemon running in the background (pid ${pid})\n  log file: ${logFile}\n  pid files: ${join(stateDir, 'workers')}\n  stop it with the same flags plus --stop (add --drain to let running tasks finish)\n`);
  } finally {
    await handle.close();
  }
}

/** The identity and queues these flags mean, for --stop and --status. */
async function identityOf(flags: DaemonFlags) {
  const { config } = await loadDaemonConfig({ flags });
  let settings;
  try {
    settings = resolveDaemonSettings(config, process.env, flags);
  } catch (error) {
    asUsageError(error);
  }
  return { config, settings, identity: daemonIdentity(config, settings, process.env, hostname()) };
}

async function stopLocalDaemon(flags: DaemonFlags, explicitIds: string[], drain: boolean): Promise<void> {
  const { config, settings, identity } = await identityOf(flags);
  const live = await listLocalWorkers(config.agent.stateDir);
  const selection = pickDaemonsToStop(live, { explicitIds, matchKey: identity.matchKey, queues: settings.queues });
  if (selection.kind === 'none') {
    const wanted = explicitIds.length ? explicitIds.join(', ') : `${identity.matchKey}${settings.queues.length ? ` on ${settings.queues.join(', ')}` : ''}`;
    process.stderr.write(`tray-agent daemon --stop: no running local daemon matches ${wanted} (running: ${live.map((e) => e.workerId).join(', ') || 'none'})\n`);
    process.exitCode = 1;
    return;
  }
  if (selection.kind === 'ambiguous') {
    const lines = selection.candidates.map((e) => `  ${e.workerId} (pid ${e.pid}, queues ${e.queues.join(' ') || 'default'}${e.sharedWith.length ? `, in the process that also runs ${e.sharedWith.join(', ')}` : ''})`);
    throw new UsageError(`--stop: ${selection.candidates.length} local daemons match these flags; none was stopped:\n${lines.join('\n')}\nname the one to stop: tray-agent daemon --stop WORKER_ID`);
  }
  const waitMs = (config.agent.abortGraceSec + 20) * 1000;
  let failed = false;
  for (const outcome of await stopLocalDaemons(selection.targets, { drain, waitMs, stateDir: config.agent.stateDir })) {
    const verb =
      outcome.result === 'draining'
        ? 'is draining (finishes running tasks, then exits)'
        : outcome.result === 'killed'
          ? 'did not exit in time and was killed'
          : outcome.result === 'still-running'
            ? `is still running: ${outcome.detail ?? ''}`
            : 'stopped';
    if (outcome.result === 'still-running') failed = true;
    process.stdout.write(`Daemon ${outcome.workerId} (pid ${outcome.pid}) ${verb}\n`);
  }
  if (failed) process.exitCode = 1;
}

async function printStatus(flags: DaemonFlags): Promise<void> {
  const { config, settings, identity } = await identityOf(flags);
  const client = createApiClient(apiClientOptionsFromConfig(config, { maxRetries: 2 }));
  await client.login();
  const api = createDaemonApi(client);
  const queueNames = settings.dynamicSpecs ? settings.dynamicSpecs.map((s) => s.queue) : settings.queues;
  const queues = queueNames.length > 0 ? await api.resolveQueues(queueNames, { create: false }) : [await api.defaultQueue()];
  const local = await listLocalWorkers(config.agent.stateDir);
  // The id of the running daemon these flags mean, when there is one; else the id it would get.
  const running = local.find((e) => e.matchKey === identity.matchKey);
  const workerId = running?.workerId ?? identity.idForSlot(0);
  const tags = await api.queueTags(queues.map((q) => q.id));
  const force = await api.runtimeForce(workerId);
  const now = new Date();
  process.stdout.write(`Worker ${workerId} at ${now.toString()}\n`);
  process.stdout.write(`  uptime: ${settings.uptimeText ? JSON.stringify(settings.uptimeText) : 'not set'}; downtime: ${settings.downtimeText ? JSON.stringify(settings.downtimeText) : 'not set'}\n`);
  process.stdout.write(`  runtime property force: ${force === 'unsupported' ? 'not supported by this server' : force ? `${force.value}${force.expiresAt ? ` until ${new Date(force.expiresAt).toISOString()}` : ''}` : 'not set'}\n`);
  for (const queue of queues) {
    const decision = decideActive({ queueTags: tags.get(queue.id) ?? [], runtimeForce: force === 'unsupported' ? null : force, uptime: settings.uptime, downtime: settings.downtime, now });
    process.stdout.write(`  queue ${queue.name}: ${decision.active ? 'ACTIVE' : 'PAUSED'} — ${decision.reason}${decision.warnings.length ? ` (${decision.warnings.join('; ')})` : ''}\n`);
  }
  process.stdout.write(`  local daemons: ${local.map((e) => `${e.workerId} (pid ${e.pid})`).join(', ') || 'none'}\n`);
}
