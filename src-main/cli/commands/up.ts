import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAgentConfig } from '../../engine/config/index.js';
import { createApiClient, finalTaskStatuses, isApiError, type ApiClient } from '../../engine/api/index.js';
import { DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT } from '../../server/defaults.js';
import { AgentHost, handleStopSignals } from '../../control/index.js';
import { productVersion } from '../../../src-shared/product.js';
import { clientUrl, defaultServerDataDir, renderApiSection, writeConfIfMissing } from './server.js';
import { ensureExampleRepository, findExampleDir } from '../sample-task.js';
import { commandAction } from '../command-errors.js';
import { terminalRedactor } from '../terminal-output.js';

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
  const redact = await terminalRedactor(configFileFlag);
  const out = (text: string) => process.stdout.write(redact(text));
  const home = homedir();
  const port = flags.port === undefined ? DEFAULT_SERVER_PORT : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port "${flags.port}": expected a port number from 0 to 65535`);
  const confPath = configFileFlag || process.env['CLEARML_CONFIG_FILE'] || join(home, 'clearml.conf');
  const { config } = await loadAgentConfig({ configFile: configFileFlag });

  const host = new AgentHost({
    version: productVersion,
    configFile: configFileFlag,
    log: (level, text) => level !== 'debug' && out(`[daemon] ${text}\n`),
    echoTaskOutput: (text) => process.stdout.write(text),
  });
  // Ctrl+C works from the first moment: it ends whatever `up` is doing and shuts the host down.
  const interrupted = new AbortController();
  const signals = handleStopSignals({ stop: () => interrupted.abort() });
  try {
    let url = clientUrl(DEFAULT_SERVER_HOST, port);
    let credentials: { accessKey: string; secretKey: string };
    const configured = config.api.apiServer?.replace(/\/+$/, '') === url ? config.api.credentials : null;
    if (await serverAnswers(url)) {
      out(`Using the server already running at ${url}\n`);
      if (!configured || !(await credentialsWork(url, configured.accessKey, configured.secretKey))) {
        throw new Error(`a server answers at ${url} but ${confPath} has no working credentials for it; add its api section (tray-agent server prints it on first start) and rerun`);
      }
      credentials = { accessKey: configured.accessKey!, secretKey: configured.secretKey! };
      host.useServer(url, credentials);
    } else {
      const server = await host.startEmbeddedServer({ host: DEFAULT_SERVER_HOST, port, dataDir: defaultServerDataDir(home) });
      url = server.url;
      out(`Started the embedded ClearML-compatible server at ${url} (data in ${server.dataDir})\n`);
      if (configured && (await credentialsWork(url, configured.accessKey, configured.secretKey))) {
        credentials = { accessKey: configured.accessKey!, secretKey: configured.secretKey! };
        host.useServer(url, credentials);
      } else {
        credentials = server.credentials;
        if (writeConfIfMissing(confPath, renderApiSection(url, credentials))) out(`Wrote ${confPath} (mode 0600) with credentials for this server\n`);
        else out(`${confPath} exists but does not hold working credentials for ${url}; this session uses new ones (not saved)\n`);
      }
    }
    if (interrupted.signal.aborted) return;
    const daemon = await host.startDaemon({ queues: [], configFile: configFileFlag, pollingIntervalSec: 1 });
    out(`Daemon ${daemon.workerId} listens to ${daemon.queues.map((q) => q.name).join(', ')}\n`);
    if (flags.sample !== false) {
      const client = createApiClient({ apiServer: url, credentials });
      await runSampleTask(client, config.agent.stateDir, daemon.queues[0]!.id, out, interrupted.signal);
    }
    if (!interrupted.signal.aborted) {
      out(`\nServer ${url} and daemon ${daemon.workerId} keep running.\n`);
      out('Enqueue work with `tray-agent task create ... --queue default`; Ctrl+C stops both (running tasks are stopped).\n');
      await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    // Running tasks are stopped (stopped, "agent shutdown"), then the daemon unregisters and the server closes.
    await host.shutdown();
    signals.dispose();
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
