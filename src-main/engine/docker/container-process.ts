/**
 * One container as the supervise phase sees a process (engine/process ManagedProcess): its
 * output demultiplexed into stdout and stderr (docker's stream framing, no TTY), its exit, and
 * the agent's stop escalation inside it — SIGINT, then SIGTERM, then SIGKILL within the grace
 * (docker's init forwards them to the task's process group). Removal is separate, after the
 * exit code is read.
 */
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { escalateStop, type ManagedProcess, type ProcessExit, type StopOutcome, type StopSignalName } from '../process/index.js';
import { describeDockerFailure } from './errors.js';

export interface ContainerProcess extends ManagedProcess {
  readonly containerId: string;
  /** Force-removes the container (and its anonymous volumes); a container already gone is fine. */
  remove(): Promise<void>;
}

function isGone(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  // 404: no such container; 409: not running / removal already in progress.
  return status === 404 || status === 409 || status === 304;
}

/** Sends a signal to the container's init; a container that already stopped is not an error. */
async function signalContainer(container: Dockerode.Container, signal: StopSignalName): Promise<void> {
  try {
    await container.kill({ signal });
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

export async function removeContainer(container: Dockerode.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

/** Stops (escalation) then removes a container we did not start in this process (orphans). */
export async function stopAndRemove(container: Dockerode.Container, graceMs: number): Promise<StopOutcome> {
  const running = async () => {
    try {
      return Boolean((await container.inspect()).State?.Running);
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  };
  const outcome = await escalateStop({ send: (signal) => signalContainer(container, signal), alive: running }, graceMs, { pollMs: 50 });
  await removeContainer(container);
  return outcome;
}

/**
 * Creates the container, attaches to its output before it starts (so no byte is missed), starts
 * it. If anything fails after the create, the container is removed before the error surfaces.
 */
export async function startContainerProcess(docker: Dockerode, create: Dockerode.ContainerCreateOptions, endpoint: string): Promise<ContainerProcess> {
  let container: Dockerode.Container;
  try {
    container = await docker.createContainer(create);
  } catch (error) {
    throw describeDockerFailure(error, `creating a container from image ${create.Image}`, endpoint);
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let pid: number;
  let exited: Promise<ProcessExit>;
  let done = false;
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: true })) as NodeJS.ReadableStream;
    docker.modem.demuxStream(stream, stdout, stderr);
    const finish = () => {
      stdout.end();
      stderr.end();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
    await container.start();
    exited = container.wait().then(
      (result: { StatusCode?: number }) => {
        done = true;
        return { exitCode: result.StatusCode ?? null, signal: null, spawnError: null };
      },
      () => {
        done = true;
        return { exitCode: null, signal: null, spawnError: null };
      },
    );
    pid = (await container.inspect()).State?.Pid ?? 0;
  } catch (error) {
    stdout.end();
    stderr.end();
    await removeContainer(container).catch(() => undefined);
    throw describeDockerFailure(error, `starting a container from image ${create.Image}`, endpoint);
  }
  return {
    containerId: container.id,
    pid,
    stdout,
    stderr,
    exited,
    stop: (graceMs, onSignal) => escalateStop({ send: (signal) => signalContainer(container, signal), alive: async () => !done }, graceMs, { onSignal, pollMs: 20 }),
    remove: () => removeContainer(container),
  };
}
