/**
 * Docker mode as task phases (DESIGN.md "executor": docker replaces environment, launch and
 * supervise). Same contracts as the venv phases: failures before the task starts are
 * TaskSetupErrors, cleanups go on ctx.cleanups, output bytes to ctx.output, the stop promise is
 * honoured like supervisePhase's, and the run ends with ctx.ending set.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { TaskPhase, TaskRunContext } from '../task-run/context.js';
import type { StopReason } from '../task-run/stop-reason.js';
import { untilRunEnds } from '../task-run/phases/supervise.js';
import { createDockerClient, checkDockerDaemon } from './docker-client.js';
import { DockerError, asTaskSetupError } from './errors.js';
import { prepareDockerRun, type PreparedDockerRun } from './prepare-run.js';
import { shellQuote } from './bootstrap-script.js';
import { startContainerProcess, type ContainerProcess } from './container-process.js';
import type { ContainerRole } from './run-spec.js';
import type { DockerSettings } from './settings.js';

/** The task's `container` field as written back (tasks.edit). */
export interface TaskContainerField {
  image: string;
  arguments: string;
  setup_shell_script: string;
}

export interface DockerPhaseOptions {
  readonly docker: DockerSettings;
  /** Resolves when the run must stop (abort, shutdown); as supervisePhase's option. */
  readonly stopRequested: Promise<StopReason>;
  /**
   * false = --disable-monitoring: no status changes, no write-backs. Default: what the run's API
   * says (`ctx.api.reportsToServer`), so the executor needs no flag of its own.
   */
  readonly reportStatus?: boolean;
  /** Writes the image that ran onto the task (tasks.edit container, forced); see createDockerTaskApi. */
  readonly writeBackContainer?: (taskId: string, container: TaskContainerField) => Promise<void>;
  /** 'service' adds CLEARML_AGENT_SERVICE_TASK=1 (services mode). Default 'task'. */
  readonly role?: Exclude<ContainerRole, 'build'>;
  /** The daemon's worker id when the task runs as its own worker (services); default ctx.workerId. */
  readonly parentWorkerId?: string;
  /** A client to reuse (tests, a daemon's long-lived one); default: one from settings.connection. */
  readonly client?: Dockerode;
  /** Told the container id once it runs (running registry, UI). */
  readonly onContainer?: (info: { taskId: string; containerId: string }) => void;
}

/** State the three phases of one run share. */
interface DockerRunState {
  client?: Dockerode;
  prepared?: PreparedDockerRun;
  container?: ContainerProcess;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

function reportsStatus(options: DockerPhaseOptions, ctx: TaskRunContext): boolean {
  return options.reportStatus ?? ctx.api.reportsToServer !== false;
}

function dockerClient(options: DockerPhaseOptions): Dockerode {
  try {
    return options.client ?? createDockerClient(options.docker.connection);
  } catch (error) {
    if (error instanceof DockerError) throw asTaskSetupError(error);
    throw error;
  }
}

/** Host-side setup: daemon reachable, policy, image, requirements, run folder. */
function dockerEnvironmentPhase(options: DockerPhaseOptions, state: DockerRunState): TaskPhase {
  return {
    name: 'environment',
    async run(ctx) {
      const client = dockerClient(options);
      state.client = client;
      try {
        await checkDockerDaemon(client, options.docker.connection);
      } catch (error) {
        if (error instanceof DockerError) throw asTaskSetupError(error);
        throw error;
      }
      const role = options.role ?? 'task';
      state.prepared = await prepareDockerRun(ctx, {
        docker: client,
        settings: options.docker,
        role,
        parentWorkerId: options.parentWorkerId ?? ctx.workerId,
        roleEnv: role === 'service' ? { CLEARML_AGENT_SERVICE_TASK: '1' } : {},
      });
      const { selection } = state.prepared;
      if (selection.writeBack && reportsStatus(options, ctx) && options.writeBackContainer) {
        // The record of what ran is informative: a server that refuses the edit does not stop the task.
        await options
          .writeBackContainer(ctx.taskId, { image: selection.image, arguments: selection.arguments.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : shellQuote(word))).join(' '), setup_shell_script: selection.setupShellScript })
          .catch((error: unknown) => ctx.log('WARNING', `Could not record the image on the task: ${error instanceof Error ? error.message : String(error)}`));
      }
    },
  };
}

function dockerLaunchPhase(options: DockerPhaseOptions, state: DockerRunState): TaskPhase {
  return {
    name: 'launch',
    async run(ctx) {
      const { prepared, client } = state;
      if (!prepared || !client) throw new Error('docker launch needs the docker environment phase first');
      ctx.log('INFO', `Executing: ${prepared.spec.printable}`);
      let container: ContainerProcess;
      try {
        container = await startContainerProcess(client, prepared.spec.create, options.docker.connection.endpoint);
      } catch (error) {
        if (error instanceof DockerError) throw asTaskSetupError(error);
        throw error;
      }
      state.container = container;
      ctx.process = container;
      // Whatever ends the run, the container must not outlive it.
      ctx.cleanups.push('docker container', async () => {
        await container.stop(ctx.settings.abortGraceMs);
        await container.remove();
      });
      ctx.log('INFO', `Container ${container.containerId.slice(0, 12)} started${prepared.spec.name ? ` (${prepared.spec.name})` : ''}`);
      options.onContainer?.({ taskId: ctx.taskId, containerId: container.containerId });
      ctx.emit({ type: 'process-started', taskId: ctx.taskId, pid: container.pid });
    },
  };
}

/** Reports the venv's packages once the bootstrap hands over to the task. */
function watchForHandOver(ctx: TaskRunContext, prepared: PreparedDockerRun, report: boolean): { stop(): Promise<void> } {
  let stopped = false;
  let reported = false;
  const tick = async (): Promise<void> => {
    if (reported) return;
    const state = (await readText(join(prepared.statusDir, 'state')))?.trim();
    if (state !== 'running') return;
    reported = true;
    const frozen = (await readText(join(prepared.statusDir, 'frozen.txt')))?.split('\n').map((l) => l.trim()).filter(Boolean) ?? [];
    if (report && !prepared.skipInstall && frozen.length > 0) {
      await ctx.api.setRequirements(ctx.taskId, { org_pip: prepared.originalRequirements, pip: frozen.join('\n') }).catch((error: unknown) => {
        ctx.log('WARNING', `Could not report the container's packages: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  };
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    if (!stopped) pending = pending.then(tick);
  }, 250);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pending;
      await tick();
    },
  };
}

/** Output, ping, time limit, stop escalation, exit → ending; the container is removed at its end. */
function dockerSupervisePhase(options: DockerPhaseOptions, state: DockerRunState): TaskPhase {
  return {
    name: 'run',
    async run(ctx) {
      const { container, prepared } = state;
      if (!container || !prepared) throw new Error('docker supervise needs a started container');
      const streamDone = Promise.all(
        (['stdout', 'stderr'] as const).map(
          (name) =>
            new Promise<void>((resolve) => {
              const stream = container[name];
              stream.on('data', (chunk: Buffer) => ctx.output[name](chunk));
              stream.on('end', resolve);
              stream.on('error', () => resolve());
            }),
        ),
      );
      const handOver = watchForHandOver(ctx, prepared, reportsStatus(options, ctx));
      try {
        const exit = await untilRunEnds(ctx, container, { stopRequested: options.stopRequested, reportsStatus: reportsStatus(options, ctx), where: ' inside the container' });
        if (exit) ctx.ending = await endingFromExit(prepared, exit.exitCode);
        await streamDone;
        await container.remove();
      } finally {
        await handOver.stop();
      }
    },
  };
}

/** A container that ended before the bootstrap handed over is a setup failure, with its reason. */
async function endingFromExit(prepared: PreparedDockerRun, exitCode: number | null): Promise<NonNullable<TaskRunContext['ending']>> {
  const state = (await readText(join(prepared.statusDir, 'state')))?.trim();
  if (state === 'running') return { kind: 'exited', exitCode, signal: null };
  if (state === 'failed') {
    const [reason, ...message] = ((await readText(join(prepared.statusDir, 'failure'))) ?? '').split('\n');
    return { kind: 'setup-failed', reason: reason?.trim() || 'container setup failed', detail: message.join(' ').trim() || `the container's setup ended with exit code ${exitCode}` };
  }
  return {
    kind: 'setup-failed',
    reason: 'container setup failed',
    detail: `the container exited with code ${exitCode} before the task started (the image must provide /bin/sh; see the lines above)`,
  };
}

/** Docker mode's phases, to run after start and workspace. */
export function dockerPhases(options: DockerPhaseOptions): TaskPhase[] {
  const state: DockerRunState = {};
  return [dockerEnvironmentPhase(options, state), dockerLaunchPhase(options, state), dockerSupervisePhase(options, state)];
}

