/**
 * Services mode in containers (reference §7.1), the parts the daemon calls: each service runs as
 * its own worker `<daemon worker>:service:<task>`, in a container labelled with the daemon as
 * its parent, so the daemon can count them (the `--services-mode N` cap) and stop them with
 * itself.
 */
import type Dockerode from 'dockerode';
import { describeDockerFailure } from './errors.js';
import { stopAndRemove } from './container-process.js';
import { LABELS } from './run-spec.js';

export function serviceWorkerId(daemonWorkerId: string, taskId: string): string {
  return `${daemonWorkerId}:service:${taskId}`;
}

async function serviceContainers(docker: Dockerode, parentWorkerId: string, endpoint: string, all: boolean): Promise<Dockerode.ContainerInfo[]> {
  try {
    return await docker.listContainers({ all, filters: { label: [`${LABELS.clearmlParentWorkerId}=${parentWorkerId}`, `${LABELS.role}=service`] } });
  } catch (error) {
    throw describeDockerFailure(error, 'listing service containers', endpoint);
  }
}

/** Running service containers started under this daemon. */
export async function countServiceContainers(docker: Dockerode, parentWorkerId: string, endpoint: string): Promise<number> {
  return (await serviceContainers(docker, parentWorkerId, endpoint, false)).length;
}

/** Stops (escalation) and removes every service container of this daemon; returns their task ids. */
export async function stopServiceContainers(docker: Dockerode, parentWorkerId: string, options: { graceMs: number; endpoint: string }): Promise<string[]> {
  const containers = await serviceContainers(docker, parentWorkerId, options.endpoint, true);
  await Promise.all(containers.map((info) => stopAndRemove(docker.getContainer(info.Id), options.graceMs)));
  return containers.map((info) => info.Labels?.[LABELS.taskId] ?? '').filter(Boolean);
}
