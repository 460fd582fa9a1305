/**
 * The container the agent asks the daemon for (reference §5.2), as Engine API create options,
 * plus the equivalent printable `docker run` line with secrets masked. Pure.
 */
import type Dockerode from 'dockerode';
import type { DockerSwitch } from './docker-args.js';
import type { ContainerGpuSettings } from './gpu-request.js';
import type { MountPlan } from './mounts.js';
import { printableDockerCommand, type MaskRules } from './printable-command.js';
import { switchesToApi } from './switches-to-api.js';

/** Labels every container of ours carries: a restarted agent finds its orphans by them. */
export const LABELS = {
  workerId: 'tray-agent.worker-id',
  taskId: 'tray-agent.task-id',
  role: 'tray-agent.role',
  /** clearml-agent's names, so its tooling (`docker ps --filter label=...`) sees ours too. */
  clearmlWorkerId: 'clearml-worker-id',
  clearmlParentWorkerId: 'clearml-parent-worker-id',
} as const;

export type ContainerRole = 'task' | 'service' | 'build';

export interface RunSpecInput {
  readonly taskId: string;
  readonly workerId: string;
  /** The daemon's worker id when the task runs under another one (services); else workerId. */
  readonly parentWorkerId: string;
  readonly role: ContainerRole;
  readonly image: string;
  /** Merged, filtered, expanded user switches. */
  readonly switches: readonly DockerSwitch[];
  /** agent.environment section first, in order (the task's -e switches may override these). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** What the agent sets for the task (CLEARML_*, GPU variables): wins over everything. */
  readonly agentEnv: Readonly<Record<string, string>>;
  readonly mounts: MountPlan;
  readonly gpu: ContainerGpuSettings;
  /** CLEARML_AGENT_EXTRA_DOCKER_LABELS and the like. */
  readonly extraLabels: Readonly<Record<string, string>>;
  /** From agent.docker_container_name_format; a --name switch wins. */
  readonly name: string | null;
  readonly command: readonly string[];
  readonly maskRules: MaskRules;
}

export interface RunSpec {
  readonly create: Dockerode.ContainerCreateOptions;
  readonly printable: string;
  readonly name: string | null;
}

function envList(record: Readonly<Record<string, string>>): string[] {
  return Object.entries(record).map(([key, value]) => `${key}=${value}`);
}

function gpusText(gpu: ContainerGpuSettings): string | null {
  const request = gpu.deviceRequests[0];
  if (!request) return null;
  return request.DeviceIDs ? `"device=${request.DeviceIDs.join(',')}"` : 'all';
}

export function buildRunSpec(input: RunSpecInput): RunSpec {
  const fromSwitches = switchesToApi(input.switches);
  const host = fromSwitches.hostConfig;
  const labels: Record<string, string> = {
    ...fromSwitches.labels,
    ...input.extraLabels,
    [LABELS.workerId]: input.workerId,
    [LABELS.taskId]: input.taskId,
    [LABELS.role]: input.role,
    [LABELS.clearmlWorkerId]: input.workerId,
    [LABELS.clearmlParentWorkerId]: input.parentWorkerId,
  };
  // Signals the agent sends (SIGINT, SIGTERM) reach the task's whole process group, not only its
  // leader, through docker's init (tini).
  const env = [...envList(input.baseEnv), ...fromSwitches.env, ...envList({ ...input.gpu.env, ...input.agentEnv, TINI_KILL_PROCESS_GROUP: '1' })];
  const binds = [...(host.Binds ?? []), ...input.mounts.binds, ...input.gpu.binds];
  const name = fromSwitches.name ?? input.name;
  const hostConfig = {
    ...host,
    Binds: binds,
    Init: true,
    AutoRemove: false, // removed by the agent after it has read the exit code
    ...(input.gpu.deviceRequests.length ? { DeviceRequests: input.gpu.deviceRequests } : {}),
    ...(input.gpu.ipcHost && !host.IpcMode ? { IpcMode: 'host' } : {}),
  };
  const create: Dockerode.ContainerCreateOptions = {
    Image: input.image,
    Cmd: [...input.command],
    Entrypoint: [],
    Env: env,
    Labels: labels,
    Tty: false,
    OpenStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    ...(fromSwitches.user ? { User: fromSwitches.user } : {}),
    ...(fromSwitches.hostname ? { Hostname: fromSwitches.hostname } : {}),
    ...(Object.keys(fromSwitches.exposedPorts).length ? { ExposedPorts: fromSwitches.exposedPorts } : {}),
    HostConfig: hostConfig,
    ...(name ? { name } : {}),
  };
  const printable = printableDockerCommand(
    {
      image: input.image,
      command: input.command,
      name,
      labels,
      gpus: gpusText(input.gpu),
      switchWords: input.switches.filter((s) => s.name !== 'env' && s.name !== 'label' && s.name !== 'name').flatMap((s) => [...s.words]),
      env,
      binds: [...input.mounts.binds, ...input.gpu.binds],
    },
    input.maskRules,
  );
  return { create, printable, name };
}
