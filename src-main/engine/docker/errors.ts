/**
 * Docker failures as the user needs them: what failed and what to do, with a short reason that
 * becomes the task's status reason (TaskSetupError).
 */
import { TaskSetupError } from '../task-run/context.js';

export class DockerError extends Error {
  override readonly name = 'DockerError';
  constructor(
    /** Short, for the task's status_reason. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface DockerodeFailure {
  code?: string;
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
  address?: string;
}

/** The daemon's own words for an HTTP error, else the error's message. */
export function daemonMessage(error: unknown): string {
  const failure = error as DockerodeFailure;
  const fromJson = failure.json && typeof failure.json === 'object' ? failure.json.message : undefined;
  return (fromJson ?? failure.message ?? String(error)).replace(/^\(HTTP code \d+\) [^-]+- /, '').trim();
}

/** The connection-level failures (no daemon, no permission), else null. */
export function connectionProblem(error: unknown, endpoint: string): DockerError | null {
  const code = (error as DockerodeFailure).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new DockerError(
      'docker daemon not running',
      `cannot reach the docker daemon at ${endpoint} (${code}): it is not running. Start it (systemctl start docker, or dockerd), or point DOCKER_HOST at a running daemon`,
      { cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new DockerError(
      'docker permission denied',
      `permission denied on the docker socket ${endpoint} (${code}): this user may not use docker. Add it to the docker group (sudo usermod -aG docker $USER, then log in again) or run the agent as a user that may`,
      { cause: error },
    );
  }
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
    return new DockerError('docker daemon unreachable', `the docker daemon at ${endpoint} did not answer (${code}); check that it runs and DOCKER_HOST`, { cause: error });
  }
  return null;
}

/** Any dockerode failure during `what` (e.g. "creating the container") as a DockerError. */
export function describeDockerFailure(error: unknown, what: string, endpoint: string): DockerError {
  if (error instanceof DockerError) return error;
  const connection = connectionProblem(error, endpoint);
  if (connection) return connection;
  const message = daemonMessage(error);
  if (/could not select device driver "nvidia"/i.test(message)) {
    return new DockerError(
      'docker has no GPU support',
      `${what}: docker cannot give the container GPUs (${message}). Install the NVIDIA container toolkit, or run the agent with --cpu-only`,
      { cause: error },
    );
  }
  if (/network .* not found/i.test(message)) {
    return new DockerError(
      'docker network not found',
      `${what}: ${message}. The --network switch names a network this docker daemon does not have; name one it has (docker network ls), or use --network none or --network host (agent.default_docker.arguments or the task's container arguments)`,
      { cause: error },
    );
  }
  return new DockerError('docker error', `${what}: ${message}`, { cause: error });
}

/** What a phase throws so the task fails with the docker problem as its reason. */
export function asTaskSetupError(error: DockerError): TaskSetupError {
  return new TaskSetupError(error.reason, error.message);
}
