/**
 * `build --docker`: the task's environment built inside a container of its image (code and venv
 * under /opt/tray-agent), committed as `--target`. With `--entry-point reuse_task|clone_task`
 * the image runs the task (or a clone) standalone; credentials come from `docker run -e`, never
 * from the image: the build container gets no API credentials and no secret-named variables.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { TaskSetupError, type TaskRunContext } from '../task-run/context.js';
import { checkDockerDaemon, createDockerClient } from './docker-client.js';
import { DockerError, asTaskSetupError, describeDockerFailure } from './errors.js';
import { prepareDockerRun } from './prepare-run.js';
import { startContainerProcess } from './container-process.js';
import { maskEnvAssignment } from './printable-command.js';
import { BUILD_ROOT } from './bootstrap-script.js';
import { LABELS } from './run-spec.js';
import type { DockerSettings } from './settings.js';

export interface BuildImageOptions {
  readonly docker: DockerSettings;
  /** Image name to commit, `name[:tag]`. */
  readonly target: string;
  readonly entryPoint: 'reuse_task' | 'clone_task' | null;
  readonly client?: Dockerode;
}

export interface BuiltImage {
  readonly imageId: string;
  readonly target: string;
  readonly baseImage: string;
}

/** `repo[:tag]` (a registry's `host:port/` prefix is part of the repository). */
export function splitImageName(target: string): { repo: string; tag: string } {
  const slash = target.lastIndexOf('/');
  const colon = target.lastIndexOf(':');
  if (colon > slash) return { repo: target.slice(0, colon), tag: target.slice(colon + 1) || 'latest' };
  return { repo: target, tag: 'latest' };
}

function setupFailed(error: unknown): never {
  if (error instanceof DockerError) throw asTaskSetupError(error);
  throw error;
}

export async function buildTaskImage(ctx: TaskRunContext, options: BuildImageOptions): Promise<BuiltImage> {
  const { docker } = options;
  const endpoint = docker.connection.endpoint;
  let client: Dockerode;
  try {
    client = options.client ?? createDockerClient(docker.connection);
    await checkDockerDaemon(client, docker.connection);
  } catch (error) {
    setupFailed(error);
  }
  const prepared = await prepareDockerRun(ctx, {
    docker: client,
    settings: { ...docker, environment: {} },
    role: 'build',
    parentWorkerId: ctx.workerId,
    roleEnv: {},
    buildEntry: { clone: options.entryPoint === 'clone_task' },
  });
  // docker commit keeps the container's variables in the image: nothing secret may be among them.
  const env = (prepared.spec.create.Env ?? []).filter((assignment) => {
    const secret = maskEnvAssignment(assignment, { extraKeys: docker.maskRules.extraKeys, parseEmbeddedUrls: false }) !== assignment;
    if (secret) ctx.log('WARNING', `Not passing ${assignment.split('=')[0]} to the build container: the committed image would keep it`);
    return !secret;
  });
  const create = { ...prepared.spec.create, Env: env };
  ctx.log('INFO', `Building image ${options.target} from ${prepared.selection.image}`);
  let container;
  try {
    container = await startContainerProcess(client, create, endpoint);
  } catch (error) {
    setupFailed(error);
  }
  try {
    container.stdout.on('data', (chunk: Buffer) => ctx.output.stdout(chunk));
    container.stderr.on('data', (chunk: Buffer) => ctx.output.stderr(chunk));
    const exit = await container.exited;
    const state = (await readFile(join(prepared.statusDir, 'state'), 'utf8').catch(() => '')).trim();
    if (state !== 'running' || exit.exitCode !== 0) {
      const [reason, ...detail] = (await readFile(join(prepared.statusDir, 'failure'), 'utf8').catch(() => '')).split('\n');
      throw new TaskSetupError(reason?.trim() || 'failed building image', detail.join(' ').trim() || `the build container exited with code ${exit.exitCode}`);
    }
    const { repo, tag } = splitImageName(options.target);
    const entrypoint = options.entryPoint ? ['/bin/sh', `${BUILD_ROOT}/entrypoint.sh`] : [];
    // Our labels must not follow the image into containers a user starts from it: a restarted
    // agent would take those for its own orphans.
    const clearedLabels = Object.fromEntries(Object.values(LABELS).map((label) => [label, '']));
    let committed: { Id?: string };
    try {
      committed = (await client.getContainer(container.containerId).commit({
        _query: { container: container.containerId, repo, tag, comment: `Tray Agent build of task ${ctx.taskId}` },
        _body: {
          Entrypoint: entrypoint,
          Cmd: options.entryPoint ? [] : ['/bin/sh'],
          Labels: { ...clearedLabels, 'tray-agent.built-from-task': ctx.taskId },
          Env: env,
        },
      } as never)) as unknown as { Id?: string };
    } catch (error) {
      throw asTaskSetupError(describeDockerFailure(error, `committing image ${options.target}`, endpoint));
    }
    ctx.log('INFO', `Image ${repo}:${tag} committed (${String(committed.Id ?? '').slice(0, 19)})${options.entryPoint ? `; docker run -e CLEARML_API_HOST=… -e CLEARML_API_ACCESS_KEY=… -e CLEARML_API_SECRET_KEY=… ${repo}:${tag} runs the task` : ''}`);
    return { imageId: String(committed.Id ?? ''), target: `${repo}:${tag}`, baseImage: prepared.selection.image };
  } finally {
    await container.remove().catch(() => undefined);
  }
}
