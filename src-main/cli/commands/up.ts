import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAgentConfig, type AgentConfig } from '../../engine/config/index.js';
import { createApiClient, finalTaskStatuses, isApiError, type ApiClient } from '../../engine/api/index.js';
import { startDaemon, type DaemonHandle } from '../../engine/daemon/start-daemon.js';
import { DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT } from '../../server/defaults.js';
import type { EmbeddedServer } from '../../server/index.js';
import { clientUrl, defaultServerDataDir, renderApiSection, writeConfIfMissing } from './server.js';
import { ensureExampleRepository, findExampleDir } from '../sample-task.js';
import { commandAction } from '../command-errors.js';

interface UpFlags {
  port?: string;
  sample?: boolean;
}

async function serverAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/server.info`, { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function credentialsWork(url: string, accessKey: string | null, secretKey: string | null): Promise<boolean> {
  if (!accessKey || !secretKey) return false;
  try {
    await createApiClient({ apiServer: url, credentials: { accessKey, secretKey }, maxRetries: 0 }).login();
    return true;
  } catch (error) {
    if (isApiError(error)) return false;
    throw error;
  }
}

/**
 * `tray-agent up`: the whole single-machine setup in one command. Starts the embedded server
 * unless one answers, makes sure there are working credentials (writing ~/clearml.conf when
 * there is none), starts a daemon on the default queue, runs the sample task with its log on
 * this terminal, then keeps server and daemon running until Ctrl+C.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start the embedded server and a daemon, run the sample task, keep both running (Ctrl+C stops)')
    .option('--port <number>', `embedded server port (default ${DEFAULT_SERVER_PORT})`)
    .option('--no-sample', 'do not enqueue the sample task')
    .action(commandAction('up', async (flags: UpFlags, cmd: Command) => {
      await up(flags, cmd.optsWithGlobals().configFile as string | undefined);
    }));
}

async function up(flags: UpFlags, configFileFlag: string | undefined): Promise<void> {
  const out = (text: string) => process.stdout.write(text);
  const home = homedir();
  const port = flags.port === undefined ? DEFAULT_SERVER_PORT : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port "${flags.port}": expected a port number from 0 to 65535`);
  const confPath = configFileFlag || process.env['CLEARML_CONFIG_FILE'] || join(home, 'clearml.conf');
  const { config } = await loadAgentConfig({ configFile: configFileFlag });

  let url = clientUrl(DEFAULT_SERVER_HOST, port);
  let server: EmbeddedServer | null = null;
  if (await serverAnswers(url)) {
    out(`Using the server already running at ${url}\n`);
  } else {
    const { startEmbeddedServer } = await import('../../server/index.js');
    server = await startEmbeddedServer({ host: DEFAULT_SERVER_HOST, port, dataDir: defaultServerDataDir(home) });
    url = clientUrl(DEFAULT_SERVER_HOST, server.port);
    out(`Started the embedded ClearML-compatible server at ${url} (data in ${defaultServerDataDir(home)})\n`);
  }
  try {
    await runWithServer(url, server, config, configFileFlag, confPath, flags, out);
  } finally {
    await server?.close();
  }
}

async function runWithServer(
  url: string,
  server: EmbeddedServer | null,
  config: AgentConfig,
  configFileFlag: string | undefined,
  confPath: string,
  flags: UpFlags,
  out: (text: string) => void,
): Promise<void> {
  let credentials: { accessKey: string; secretKey: string };
  const configured = config.api.apiServer?.replace(/\/+$/, '') === url ? config.api.credentials : null;
  if (configured && (await credentialsWork(url, configured.accessKey, configured.secretKey))) {
    credentials = { accessKey: configured.accessKey!, secretKey: configured.secretKey! };
  } else if (server) {
    credentials = server.createdCredentials ?? server.createCredentials();
    if (writeConfIfMissing(confPath, renderApiSection(url, credentials))) out(`Wrote ${confPath} (mode 0600) with credentials for this server\n`);
    else out(`${confPath} exists but does not hold working credentials for ${url}; this session uses new ones (not saved)\n`);
  } else {
    throw new Error(`a server answers at ${url} but ${confPath} has no working credentials for it; add its api section (tray-agent server prints it on first start) and rerun`);
  }

  // The daemon reads clearml.conf like any daemon; these variables point it at this server.
  const env: Record<string, string | undefined> = { ...process.env, CLEARML_API_HOST: url, CLEARML_API_ACCESS_KEY: credentials.accessKey, CLEARML_API_SECRET_KEY: credentials.secretKey };
  let daemon: DaemonHandle | null = null;
  try {
    daemon = await startDaemon({
      flags: { queues: [], configFile: configFileFlag, pollingIntervalSec: 1 },
      env,
      log: (level, text) => level !== 'debug' && out(`[daemon] ${text}\n`),
      echoTaskOutput: (text) => out(text),
    });
    out(`Daemon ${daemon.workerId} listens to ${daemon.queues.map((q) => q.name).join(', ')}\n`);
    // Ctrl+C works from here on, also while the sample task runs.
    const interrupted = untilInterrupted(daemon);
    if (flags.sample !== false) {
      const client = createApiClient({ apiServer: url, credentials });
      const stopWatching = new AbortController();
      void interrupted.then(() => stopWatching.abort());
      await runSampleTask(client, config.agent.stateDir, daemon.queues[0]!.id, out, stopWatching.signal);
      if (stopWatching.signal.aborted) {
        await daemon.done;
        return;
      }
    }
    out(`\nServer ${url} and daemon ${daemon.workerId} keep running (the dashboard arrives with the tray UI).\n`);
    out('Enqueue work with `tray-agent task create ... --queue default`; Ctrl+C stops both (running tasks are stopped).\n');
    await interrupted;
    await daemon.done;
  } finally {
    if (daemon) {
      daemon.stop();
      await daemon.done;
    }
  }
}

async function runSampleTask(client: ApiClient, stateDir: string, queueId: string, out: (text: string) => void, signal: AbortSignal): Promise<void> {
  const repo = await ensureExampleRepository(findExampleDir('hello-world'), stateDir);
  const { id } = await client.tasks.create({
    name: 'hello-world sample',
    type: 'training',
    script: { repository: repo.url, branch: 'main', entry_point: 'train.py', working_dir: '.', binary: 'python3', requirements: { pip: '' } },
  } as never);
  await client.tasks.enqueue({ task: id, queue: queueId });
  out(`Enqueued the sample task ${id} (examples/hello-world); its log follows.\n\n`);
  const started = Date.now();
  while (!signal.aborted) {
    const task = await client.tasks.getById(id);
    if (finalTaskStatuses.has(String(task.status))) {
      out(`\nSample task ${id}: ${task.status} (${task.status_reason ?? ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Resolves at the first Ctrl+C / SIGTERM (the daemon is then stopping); SIGUSR2 drains. The
 * handlers stay until the daemon is done, so a second Ctrl+C is ours too: it exits at once
 * (whatever still runs is reaped by the next start).
 */
function untilInterrupted(daemon: DaemonHandle): Promise<void> {
  return new Promise((resolve) => {
    let interrupts = 0;
    const stop = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      daemon.stop();
      resolve();
    };
    const drain = (): void => daemon.drain();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGUSR2', drain);
    void daemon.done.then(() => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGUSR2', drain);
      resolve();
    });
  });
}
