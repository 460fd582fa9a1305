/**
 * The image a task runs in: present locally, or pulled (agent.docker_force_pull pulls every
 * time). A missing image that cannot be pulled is a setup failure that says what to do.
 */
import type Dockerode from 'dockerode';
import { DockerError, connectionProblem, daemonMessage, describeDockerFailure } from './errors.js';

export interface EnsureImageOptions {
  readonly forcePull: boolean;
  readonly endpoint: string;
  readonly log: (line: string) => void;
}

export interface ReadyImage {
  /** `sha256:...` */
  readonly id: string;
  readonly pulled: boolean;
}

async function inspectImage(docker: Dockerode, image: string, endpoint: string): Promise<string | null> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw describeDockerFailure(error, `looking up image ${image}`, endpoint);
  }
}

async function pullImage(docker: Dockerode, image: string, endpoint: string): Promise<string | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (error) {
    const connection = connectionProblem(error, endpoint);
    if (connection) throw connection;
    return daemonMessage(error);
  }
  return new Promise((resolve) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      const failed = output?.find((event) => event.error || event.errorDetail);
      if (error) resolve(error.message);
      else if (failed) resolve(failed.errorDetail?.message ?? failed.error ?? 'pull failed');
      else resolve(null);
    });
  });
}

function missingImage(image: string, why: string): DockerError {
  return new DockerError(
    'docker image not found',
    `docker image "${image}" is not on this machine and could not be pulled (${why}). Pull or load it first (docker pull ${image}, docker load), or choose an image that exists: agent.default_docker.image, CLEARML_DOCKER_IMAGE, --docker IMAGE, or the task's container image`,
  );
}

export async function ensureImage(docker: Dockerode, image: string, options: EnsureImageOptions): Promise<ReadyImage> {
  if (options.forcePull) {
    options.log(`Pulling docker image ${image} (agent.docker_force_pull)`);
    const problem = await pullImage(docker, image, options.endpoint);
    const id = await inspectImage(docker, image, options.endpoint);
    if (id === null) throw missingImage(image, problem ?? 'the pull reported no image');
    if (problem) options.log(`WARNING: pulling ${image} failed (${problem}); using the local image`);
    return { id, pulled: problem === null };
  }
  const local = await inspectImage(docker, image, options.endpoint);
  if (local !== null) return { id: local, pulled: false };
  options.log(`Docker image ${image} is not on this machine; pulling it`);
  const problem = await pullImage(docker, image, options.endpoint);
  const id = await inspectImage(docker, image, options.endpoint);
  if (id === null) throw missingImage(image, problem ?? 'the pull reported no image');
  return { id, pulled: true };
}
