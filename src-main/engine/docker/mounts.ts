/**
 * The agent's own mounts (reference §5.3): the host-prepared run folder and workspace, the
 * caches, ssh. Pure. With `CLEARML_AGENT_K8S_HOST_MOUNT=<node_path>:<pod_path>` the agent itself
 * runs in a container and starts siblings: each host path must live under `pod_path` and is
 * given to docker as the same path under `node_path`.
 */
import { posix } from 'node:path';
import { DEFAULT_DOCKER_INTERNAL_MOUNTS } from '../config/schema.js';

/** Where the agent's pieces appear inside every container. */
export const CONTAINER_PATHS = {
  /** bootstrap.sh, requirements.txt, clearml.conf: read-only. */
  run: '/tray-agent/run',
  /** Written by the bootstrap: how far setup got, the frozen packages. */
  status: '/tray-agent/status',
  /** The task's code (the workspace phase's root). */
  code: '/tray-agent/code',
  /** The GIT_ASKPASS helper (read-only), for pip's git+https installs. */
  askpass: '/tray-agent/askpass',
} as const;

/** docker_internal_mounts defaults (clearml-agent's): the configuration's own. */
export const DEFAULT_INTERNAL_MOUNTS = DEFAULT_DOCKER_INTERNAL_MOUNTS;

export class DockerMountError extends Error {
  override readonly name = 'DockerMountError';
}

export interface HostMount {
  readonly nodePath: string;
  readonly podPath: string;
}

/** `"<node_path>:<pod_path>"` → paths, or an error naming the variable. */
export function parseHostMount(value: string | undefined, variable = 'CLEARML_AGENT_K8S_HOST_MOUNT'): HostMount | null {
  if (value === undefined || value.trim() === '') return null;
  const [nodePath, podPath, ...rest] = value.trim().split(':');
  if (!nodePath || !podPath || rest.length > 0 || !nodePath.startsWith('/') || !podPath.startsWith('/')) {
    throw new DockerMountError(`${variable}="${value}": expected <node_path>:<pod_path>, two absolute paths`);
  }
  return { nodePath: posix.normalize(nodePath), podPath: posix.normalize(podPath) };
}

/** Host folders of the caches mounted into containers; null = that cache is off. */
export interface DockerCacheFolders {
  readonly pip: string | null;
  readonly apt: string | null;
  readonly vcs: string | null;
  /** Host folder of the container venvs; null = a fresh venv in every container. */
  readonly venvs: string | null;
  readonly sdk: string | null;
}

export interface MountPlanInput {
  readonly runDir: string;
  readonly statusDir: string;
  readonly codeDir: string;
  readonly askPassDir: string | null;
  readonly caches: DockerCacheFolders;
  /** agent.docker_internal_mounts over the defaults. */
  readonly internalMounts: Readonly<Record<string, string>>;
  /** The private read-only copy of ~/.ssh, or null (disabled, absent, or SSH_AUTH_SOCK used). */
  readonly sshCopyDir: string | null;
  readonly sshAuthSock: string | null;
  readonly hostMount: HostMount | null;
}

export interface MountPlan {
  readonly binds: string[];
  readonly env: Record<string, string>;
  readonly warnings: string[];
  /** Container path of each cache that is mounted. */
  readonly cachePaths: { readonly pip: string | null; readonly venvs: string | null };
}

function containerPath(path: string): string {
  // The default images run as root; `~` in a container path means root's home.
  return path.startsWith('~') ? `/root${path.slice(1)}` : path;
}

function isUnder(parent: string, child: string): boolean {
  const rel = posix.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

export function planMounts(input: MountPlanInput): MountPlan {
  const internal = { ...DEFAULT_INTERNAL_MOUNTS, ...input.internalMounts };
  const binds: string[] = [];
  const warnings: string[] = [];
  const env: Record<string, string> = {};
  const hostPath = (path: string): string | null => {
    if (!input.hostMount) return path;
    const { podPath, nodePath } = input.hostMount;
    if (!isUnder(podPath, path)) return null;
    return posix.join(nodePath, posix.relative(podPath, path));
  };
  const essential = (path: string, inside: string, mode: 'ro' | 'rw', what: string) => {
    const host = hostPath(path);
    if (host === null) {
      throw new DockerMountError(
        `CLEARML_AGENT_K8S_HOST_MOUNT: the ${what} ${path} is not under ${input.hostMount!.podPath}, so a sibling container cannot see it; set agent.state_dir to a folder under ${input.hostMount!.podPath}`,
      );
    }
    binds.push(`${host}:${inside}${mode === 'ro' ? ':ro' : ''}`);
  };
  const optional = (path: string | null, inside: string | undefined, what: string, mode: 'ro' | 'rw' = 'rw') => {
    if (!path || !inside) return null;
    const host = hostPath(path);
    if (host === null) {
      warnings.push(`${what} ${path} is not under ${input.hostMount!.podPath} (CLEARML_AGENT_K8S_HOST_MOUNT); not mounted`);
      return null;
    }
    const target = containerPath(inside);
    binds.push(`${host}:${target}${mode === 'ro' ? ':ro' : ''}`);
    return target;
  };

  essential(input.runDir, CONTAINER_PATHS.run, 'ro', 'run folder');
  essential(input.statusDir, CONTAINER_PATHS.status, 'rw', 'status folder');
  essential(input.codeDir, CONTAINER_PATHS.code, 'rw', 'task code folder');
  if (input.askPassDir) essential(input.askPassDir, CONTAINER_PATHS.askpass, 'ro', 'git credential helper');

  const pip = optional(input.caches.pip, internal['pip_cache'], 'pip cache');
  optional(input.caches.apt, internal['apt_cache'], 'apt cache');
  optional(input.caches.vcs, internal['vcs_cache'], 'vcs cache', 'ro');
  const venvs = optional(input.caches.venvs, internal['venvs_cache'], 'docker venvs cache');
  optional(input.caches.sdk, internal['sdk_cache'], 'sdk cache');

  if (input.sshAuthSock) {
    const target = optional(input.sshAuthSock, input.sshAuthSock, 'SSH_AUTH_SOCK socket');
    if (target) env['SSH_AUTH_SOCK'] = target;
  } else if (input.sshCopyDir) {
    optional(input.sshCopyDir, internal['ssh_ro_folder'], 'ssh folder copy', 'ro');
  }
  return { binds, env, warnings, cachePaths: { pip, venvs } };
}
