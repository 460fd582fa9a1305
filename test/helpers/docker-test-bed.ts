/**
 * The real dockerd the docker suites run against (scripts/lib/ensure-docker.sh starts it and
 * builds the test image: debootstrap bookworm minbase + python3, python3-venv, git). A missing
 * daemon or image fails the suite with what to run; nothing is skipped.
 */
import Dockerode from 'dockerode';
import { createDockerClient, dockerConnectionFromEnv } from '../../src-main/engine/docker/docker-client.js';
import { LABELS } from '../../src-main/engine/docker/run-spec.js';

export const TEST_IMAGE = process.env['TRAY_AGENT_TEST_IMAGE'] || 'tray-agent-test:bookworm';

export function testDockerClient(): Dockerode {
  return createDockerClient(dockerConnectionFromEnv(process.env));
}

/** Throws, naming the fix, unless dockerd answers and the test image exists. */
export async function requireDockerTestBed(docker: Dockerode = testDockerClient()): Promise<Dockerode> {
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`the docker suites need a running dockerd (${(error as Error).message}); run \`npm run test:all\` as root, or source scripts/lib/ensure-tools.sh and run ensure_test_prerequisites`, { cause: error });
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch (error) {
    throw new Error(`the docker suites need the test image ${TEST_IMAGE}; run \`npm run test:all\` as root (scripts/lib/ensure-docker.sh builds it)`, { cause: error });
  }
  return docker;
}

/** Containers carrying our labels for a worker (and task). */
export async function labelledContainers(docker: Dockerode, filter: { workerId?: string; taskId?: string }): Promise<Dockerode.ContainerInfo[]> {
  const label = [
    ...(filter.workerId ? [`${LABELS.workerId}=${filter.workerId}`] : []),
    ...(filter.taskId ? [`${LABELS.taskId}=${filter.taskId}`] : []),
  ];
  return docker.listContainers({ all: true, filters: { label } });
}

export async function removeLabelledContainers(docker: Dockerode, workerId: string): Promise<void> {
  for (const info of await labelledContainers(docker, { workerId })) {
    await docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
  }
}

/**
 * A second image, different from the test image (another id, a marker file), for "the task
 * chose its own image". Made once by committing a container of the test image; kept afterwards.
 */
export async function derivedTestImage(docker: Dockerode, tag: string, marker: string): Promise<string> {
  const name = `tray-agent-test:${tag}`;
  try {
    await docker.getImage(name).inspect();
    return name;
  } catch {
    // build it below
  }
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', `printf '%s\\n' '${marker}' > /etc/tray-agent-test-marker`],
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
    await container.commit({ repo: 'tray-agent-test', tag });
  } finally {
    await container.remove({ force: true });
  }
  return name;
}
