/**
 * Containers a previous run of this agent left behind (the agent was killed, the machine lost
 * power): found by the worker-id label, stopped with the usual escalation and removed. The
 * caller (daemon start-up) decides what happens to their tasks.
 */
import type Dockerode from 'dockerode';
import { describeDockerFailure } from './errors.js';
import { stopAndRemove } from './container-process.js';
import { LABELS } from './run-spec.js';

export interface OrphanContainer {
  readonly containerId: string;
  readonly taskId: string | null;
  readonly role: string | null;
  readonly state: string;
}

export async function findOrphanContainers(docker: Dockerode, workerId: string, endpoint: string): Promise<OrphanContainer[]> {
  let listed: Dockerode.ContainerInfo[];
  try {
    listed = await docker.listContainers({ all: true, filters: { label: [`${LABELS.workerId}=${workerId}`] } });
  } catch (error) {
    throw describeDockerFailure(error, 'listing containers', endpoint);
  }
  return listed.map((info) => ({
    containerId: info.Id,
    taskId: info.Labels?.[LABELS.taskId] ?? null,
    role: info.Labels?.[LABELS.role] ?? null,
    state: info.State,
  }));
}

/** Stops and removes every container labelled with `workerId`; returns what was removed. */
export async function removeOrphanContainers(docker: Dockerode, workerId: string, options: { graceMs: number; endpoint: string }): Promise<OrphanContainer[]> {
  const orphans = await findOrphanContainers(docker, workerId, options.endpoint);
  for (const orphan of orphans) {
    try {
      await stopAndRemove(docker.getContainer(orphan.containerId), options.graceMs);
    } catch (error) {
      throw describeDockerFailure(error, `removing orphan container ${orphan.containerId.slice(0, 12)}`, options.endpoint);
    }
  }
  return orphans;
}
