import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError, usageErrorsExitWith2 } from '../command-errors.js';
import { DEFAULT_FILES_PORT, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_SERVER_HOST, DEFAULT_SERVER_PORT } from '../../server/defaults.js';
import type { ApiCredentials } from '../../server/index.js';
import { renderApiSection as renderConfApiSection } from '../../engine/config/api-section.js';

export interface ServerFlags {
  host: string;
  port: number;
  /** absent: 8081, or a free port when --port is 0 */
  filesPort?: number;
  /** absent: 1 GiB */
  maxUploadBytes?: number;
  dataDir: string;
  initConf: boolean;
}

interface RawServerOptions {
  host?: string;
  port?: string;
  filesPort?: string;
  filesMaxUploadMb?: string;
  dataDir?: string;
  initConf?: boolean;
}

function parsePort(text: string | undefined, flag: string): number {
  const trimmed = (text ?? '').trim();
  const port = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`${flag} "${text}" is not a port number; give an integer from 1 to 65535 (0 picks a free one)`);
  }
  return port;
}

export function defaultServerDataDir(home: string = homedir()): string {
  return join(home, '.tray-agent', 'server');
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** Checks the flags; every problem names the flag, the value and what to give instead. */
export function parseServerFlags(raw: RawServerOptions, home: string = homedir()): ServerFlags {
  const host = (raw.host ?? DEFAULT_SERVER_HOST).trim();
  if (!host || /\s|\//.test(host)) {
    throw new UsageError(`--host "${raw.host}" is not a host name or address; give e.g. 127.0.0.1`);
  }
  const port = raw.port === undefined ? DEFAULT_SERVER_PORT : parsePort(raw.port, '--port');
  const dataDirText = raw.dataDir?.trim();
  if (raw.dataDir !== undefined && !dataDirText) throw new UsageError('--data-dir is empty; give a folder path');
  const dataDir = resolve(expandHome(dataDirText ?? defaultServerDataDir(home), home));
  const flags: ServerFlags = { host, port, dataDir, initConf: raw.initConf === true };
  if (raw.filesPort !== undefined) {
    flags.filesPort = parsePort(raw.filesPort, '--files-port');
    if (flags.filesPort !== 0 && flags.filesPort === port) throw new UsageError(`--files-port ${flags.filesPort} is the API's --port; give the files server its own port`);
  }
  if (raw.filesMaxUploadMb !== undefined) {
    const megabytes = Number(raw.filesMaxUploadMb.trim());
    if (!/^\d+$/.test(raw.filesMaxUploadMb.trim()) || megabytes < 1) {
      throw new UsageError(`--files-max-upload-mb "${raw.filesMaxUploadMb}" is not a size; give a whole number of MiB, at least 1`);
    }
    flags.maxUploadBytes = megabytes * 1024 * 1024;
  }
  return flags;
}

/** The URL clients use: a wildcard bind address is reached through loopback. */
export function clientUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export interface ServerLinks {
  /** ClearML's web_server: where the SDK's results links open (default: the API URL) */
  webUrl?: string;
  /** ClearML's files_server (default: the API URL, which also answers file requests) */
  filesUrl?: string;
}

/** The `api { ... }` section of clearml.conf for this server and key pair. */
export function renderApiSection(url: string, credentials: ApiCredentials, links: ServerLinks = {}): string {
  return renderConfApiSection(
    { apiServer: url, webServer: links.webUrl ?? url, filesServer: links.filesUrl ?? url, accessKey: credentials.accessKey, secretKey: credentials.secretKey },
    {
      comments: ["tray-agent embedded server: the REST API; task pages (the SDK's results links) on the", 'same address; artifacts, models and debug images on its files server.'],
      bareUrls: true,
    },
  );
}

/** Writes `text` to `path` (mode 0600) only when no file is there; true when it wrote. */
export function writeConfIfMissing(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export interface ServerCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  home: string;
  /** clearml.conf to create with --init-conf */
  confPath: string;
  /** resolves when the server should stop (SIGINT/SIGTERM in the real command) */
  untilStopped: Promise<void>;
}

/** Runs the server in the foreground until `io.untilStopped` resolves, then closes it. */
export async function runServerCommand(flags: ServerFlags, io: ServerCommandIo): Promise<void> {
  // Loaded on use: the server (SQLite) is not part of what a daemon or a task command needs.
  const { startEmbeddedServer } = await import('../../server/index.js');
  const server = await startEmbeddedServer({
    host: flags.host,
    port: flags.port,
    ...(flags.filesPort !== undefined ? { filesPort: flags.filesPort } : {}),
    ...(flags.maxUploadBytes !== undefined ? { maxUploadBytes: flags.maxUploadBytes } : {}),
    dataDir: flags.dataDir,
    log: (line) => io.err(`${line}\n`),
  });
  try {
    const url = clientUrl(flags.host, server.port);
    const links: ServerLinks = { webUrl: url, filesUrl: clientUrl(flags.host, server.filesPort) };
    io.out(`tray-agent server: ClearML API on ${url} (data in ${flags.dataDir})\n`);
    io.out(
      `tray-agent server: files server on ${links.filesUrl}, task pages under ${url}/projects/` +
        (server.filesNeedCredentials ? ' (both ask for the API credentials: not loopback)\n' : '\n'),
    );
    if (server.createdCredentials) {
      io.out(
        '\nFirst start: API credentials were created. The secret is not stored and will not be shown\n' +
          'again; put this section in clearml.conf (or run with --init-conf):\n\n' +
          renderApiSection(url, server.createdCredentials, links) +
          '\n',
      );
    }
    if (flags.initConf) {
      const credentials = server.createdCredentials ?? server.createCredentials();
      if (writeConfIfMissing(io.confPath, renderApiSection(url, credentials, links))) {
        io.out(`wrote ${io.confPath} (mode 0600) with the api section for this server\n`);
      } else {
        io.out(`${io.confPath} already exists; left it unchanged (add the api section above by hand)\n`);
      }
    }
    io.out('press Ctrl+C to stop\n');
    await io.untilStopped;
    io.out('tray-agent server: stopping\n');
  } finally {
    await server.close();
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `tray-agent server`: the embedded ClearML-compatible API server, in the foreground. */
export function registerServerCommand(program: Command): void {
  const command = program
    .command('server')
    .description('run the embedded ClearML-compatible API server in the foreground (Ctrl+C stops it)')
    .option('--host <address>', `address to listen on (default ${DEFAULT_SERVER_HOST})`)
    .option('--port <number>', `port to listen on (default ${DEFAULT_SERVER_PORT}; 0 picks a free one)`)
    .option('--files-port <number>', `the files server's port (default ${DEFAULT_FILES_PORT}; a free one when --port is 0)`)
    .option('--files-max-upload-mb <MiB>', `largest file upload accepted (default ${DEFAULT_MAX_UPLOAD_BYTES / 1024 / 1024})`)
    .option('--data-dir <path>', `where queues, tasks, logs and credentials live (default ${defaultServerDataDir('~')})`)
    .option('--init-conf', 'write ~/clearml.conf (or the --config-file path, mode 0600) for this server if none exists; never overwrites')
    .action(async (options: RawServerOptions, command: Command) => {
      const home = homedir();
      let flags: ServerFlags;
      try {
        flags = parseServerFlags(options, home);
      } catch (error) {
        process.stderr.write(`tray-agent server: ${(error as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const globalConfig = command.optsWithGlobals()['configFile'];
      const confPath = typeof globalConfig === 'string' ? resolve(globalConfig) : join(home, 'clearml.conf');
      try {
        await runServerCommand(flags, {
          out: (text) => process.stdout.write(text),
          err: (text) => process.stderr.write(text),
          home,
          confPath,
          untilStopped: untilSignal(),
        });
      } catch (error) {
        process.stderr.write(`tray-agent server: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  usageErrorsExitWith2(command);
}
