/**
 * The one place a dockerode client is made: from DOCKER_HOST (unix:// or tcp://, with
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) of the agent's environment, else the local socket.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

// Loaded when a client is first made: a venv-mode daemon never pays for dockerode (and its ssh2).
const requireModule = createRequire(import.meta.url);
let dockerodeClass: typeof Dockerode | null = null;
function loadDockerode(): typeof Dockerode {
  dockerodeClass ??= requireModule('dockerode') as typeof Dockerode;
  return dockerodeClass;
}
import { DockerError, describeDockerFailure } from './errors.js';

export interface DockerConnection {
  readonly options: Dockerode.DockerOptions;
  /** For messages: `unix:///var/run/docker.sock`, `tcp://host:2376`. */
  readonly endpoint: string;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Pure: the connection DOCKER_HOST names (certificates are read when the client is made). */
export function dockerConnectionFromEnv(env: Record<string, string | undefined>): DockerConnection {
  const dockerHost = env['DOCKER_HOST']?.trim();
  if (!dockerHost) return { options: { socketPath: DEFAULT_DOCKER_SOCKET }, endpoint: `unix://${DEFAULT_DOCKER_SOCKET}` };
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET;
    return { options: { socketPath }, endpoint: `unix://${socketPath}` };
  }
  const match = /^(?:tcp|https?):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(dockerHost);
  if (!match) {
    throw new DockerError('bad DOCKER_HOST', `DOCKER_HOST="${dockerHost}": expected unix:///path/to/docker.sock or tcp://host:port`);
  }
  const tls = /^(1|true|yes)$/i.test(env['DOCKER_TLS_VERIFY'] ?? '');
  const options: Dockerode.DockerOptions = {
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port: Number(match[2] ?? (tls ? 2376 : 2375)),
    protocol: tls ? 'https' : 'http',
  };
  if (tls) {
    const certPath = env['DOCKER_CERT_PATH'] || join(env['HOME'] ?? '', '.docker');
    (options as Record<string, unknown>)['certPath'] = certPath;
  }
  return { options, endpoint: dockerHost };
}

export function createDockerClient(connection: DockerConnection): Dockerode {
  const options = { ...connection.options } as Dockerode.DockerOptions & { certPath?: string };
  if (options.certPath) {
    const read = (file: string) => readFileSync(join(options.certPath!, file));
    try {
      Object.assign(options, { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
    } catch (error) {
      throw new DockerError('docker TLS certificates missing', `DOCKER_TLS_VERIFY is set but the certificates in ${options.certPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem`);
    }
    delete options.certPath;
  }
  const DockerodeClass = loadDockerode();
  return new DockerodeClass(options);
}

/** Fails with what to do when the daemon cannot be used (not running, no permission). */
export async function checkDockerDaemon(docker: Dockerode, connection: DockerConnection): Promise<{ version: string }> {
  try {
    const version = await docker.version();
    return { version: version.Version };
  } catch (error) {
    throw describeDockerFailure(error, 'asking the docker daemon for its version', connection.endpoint);
  }
}
