// The glue: a worker that pulls tasks from its queues and hands each to a scheduler as a job
// (reference §7.3, §7.4). Per pass it first looks at every job it has in flight — one scheduler
// query, one server query — and acts (status messages while pending, cancel on abort, fail with
// the scheduler's reason), then pulls at most one task. Jobs are recorded in a registry file
// before they are submitted, so a glue that restarts adopts them instead of submitting again.
import { startWorkerReporter } from '../daemon/worker-reporter.js';
import type { QueueRef } from '../daemon/daemon-api.js';
import type { GlueApi, GlueTask } from './glue-api.js';
import type { JobRegistry, SchedulerJobEntry } from './job-registry.js';
import { JobRejectedError, SchedulerUnavailableError, type SchedulerBackend } from './scheduler-backend.js';
import { decideJobAction, type JobMemory, type TaskOutcome } from './job-decision.js';

export type GlueLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface GlueLoopOptions {
  readonly api: GlueApi;
  readonly backend: SchedulerBackend;
  readonly registry: JobRegistry;
  /** Priority order. */
  readonly queues: readonly QueueRef[];
  readonly pendingQueue: QueueRef;
  readonly workerId: string;
  /** --max-jobs: in-flight jobs per queue; null = no limit. */
  readonly maxJobsPerQueue: number | null;
  /** --max-pods: jobs of this glue in the cluster; a task pulled at the limit goes back to its queue. */
  readonly maxTotalJobs: number | null;
  readonly pollIntervalMs: number;
  readonly abortGraceMs: number;
  readonly log: (level: GlueLogLevel, text: string) => void;
  /** Masks secrets in text that goes to the task's log (job output, scheduler errors). */
  readonly redact: (text: string) => string;
  readonly now?: () => number;
}

export interface GlueHandle {
  /** Stops pulling and tracking; jobs keep running and are adopted by the next start. */
  stop(): void;
  /** Look at the jobs now instead of at the end of the pause (a watch saw a change). */
  wake(): void;
  readonly done: Promise<void>;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function startGlueLoop(options: GlueLoopOptions): GlueHandle {
  const { api, backend, registry, workerId, log } = options;
  const now = options.now ?? Date.now;
  const name = backend.displayName;
  const memory = new Map<string, JobMemory>();
  const queueById = new Map(options.queues.map((q) => [q.id, q]));
  let stopped = false;
  const stopping = new AbortController();
  let nap: AbortController | null = null;
  let wokenEarly = false;

  /** Waits `ms`, or less when stopped or woken (the scheduler saw a change). */
  const sleep = (ms: number): Promise<void> => {
    if (wokenEarly) {
      wokenEarly = false;
      return Promise.resolve();
    }
    const current = new AbortController();
    nap = current;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        nap = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      current.signal.addEventListener('abort', done, { once: true });
      stopping.signal.addEventListener('abort', done, { once: true });
    });
  };

  const taskLog = async (taskId: string, level: 'INFO' | 'WARNING' | 'ERROR', text: string): Promise<void> => {
    const line = options.redact(text);
    log(level === 'INFO' ? 'info' : level === 'WARNING' ? 'warn' : 'error', `task ${taskId}: ${line}`);
    await api.logLine(taskId, workerId, level, line).catch((error: unknown) => log('warn', `task ${taskId}: could not add to its log: ${errorText(error)}`));
  };

  const settle = async (entry: SchedulerJobEntry, outcome: TaskOutcome): Promise<void> => {
    if (outcome.kind === 'leave') return;
    if (outcome.attachOutput) {
      const tail = await backend.outputTail(entry).catch(() => [] as string[]);
      if (tail.length > 0) await taskLog(entry.taskId, 'WARNING', `last lines of ${name} job ${entry.jobId}:\n${tail.join('\n')}`);
    }
    await taskLog(entry.taskId, outcome.kind === 'fail' ? 'ERROR' : 'WARNING', outcome.statusMessage);
    const change = { statusReason: outcome.statusReason, statusMessage: options.redact(outcome.statusMessage), ...(outcome.fromPendingQueue ? { queueId: options.pendingQueue.id } : {}) };
    if (outcome.kind === 'fail') await api.failTask(entry.taskId, change);
    else await api.stopTask(entry.taskId, change);
  };

  const forget = async (taskId: string): Promise<void> => {
    memory.delete(taskId);
    await registry.remove(taskId);
  };

  /** Submits the task's job; the entry (jobId null) is already on disk. */
  const submit = async (task: GlueTask, queue: QueueRef, submittedAt: string): Promise<void> => {
    let prepared;
    try {
      prepared = await backend.prepare(task, queue);
    } catch (error) {
      if (!(error instanceof JobRejectedError)) throw error;
      await forget(task.id);
      await taskLog(task.id, 'ERROR', error.message);
      await api.failTask(task.id, { statusReason: error.statusReason, statusMessage: options.redact(error.message), queueId: options.pendingQueue.id });
      return;
    }
    let jobId: string;
    try {
      jobId = await backend.submit(prepared);
    } catch (error) {
      if (!(error instanceof JobRejectedError)) throw error; // the entry stays: retried next pass
      await forget(task.id);
      await taskLog(task.id, 'ERROR', error.message);
      await api.failTask(task.id, { statusReason: error.statusReason, statusMessage: options.redact(error.message), queueId: options.pendingQueue.id });
      return;
    }
    await registry.put({ kind: 'scheduler-job', scheduler: backend.scheduler, jobId, taskId: task.id, queueId: queue.id, submittedAt });
    await taskLog(task.id, 'INFO', `Submitted ${name} job ${jobId} for queue ${queue.name} (${prepared.summary})`);
    await api.setStatusMessage(task.id, `${name} job ${jobId} submitted`).catch(() => undefined);
  };

  /** A task just pulled from `queue`. */
  const takeTask = async (taskId: string, queue: QueueRef): Promise<void> => {
    const previous = registry.get(taskId);
    if (previous?.jobId) {
      // Re-enqueued while an old job of it is still tracked: that run is over for the user.
      await backend.cancel(previous).catch(() => undefined);
      await forget(taskId);
    }
    if (options.maxTotalJobs !== null && backend.countActive) {
      const active = await backend.countActive();
      if (active >= options.maxTotalJobs) {
        const text = `${name} glue: ${active} jobs running, the limit (--max-pods ${options.maxTotalJobs}) is reached; back in queue ${queue.name}`;
        await api.requeue(taskId, queue.id, text);
        log('info', `task ${taskId}: ${text}`);
        return;
      }
    }
    const task = await api.getTask(taskId);
    const existing = await backend.findJob(taskId);
    await taskLog(taskId, 'INFO', `Pulled from queue ${queue.name} by the ${name} glue ${workerId}`);
    const submittedAt = new Date(now()).toISOString();
    if (existing) {
      await registry.put({ kind: 'scheduler-job', scheduler: backend.scheduler, jobId: existing, taskId, queueId: queue.id, submittedAt });
      await api.moveToPending(taskId, options.pendingQueue.id, `${name} job ${existing} (adopted)`);
      await taskLog(taskId, 'INFO', `${name} already has job ${existing} for this task: adopted, not submitted again`);
      return;
    }
    await registry.put({ kind: 'scheduler-job', scheduler: backend.scheduler, jobId: null, taskId, queueId: queue.id, submittedAt });
    await api.moveToPending(taskId, options.pendingQueue.id, `waiting for ${name}: submitting the job`);
    await submit(task, queue, submittedAt);
  };

  /** An entry without a job id: the glue stopped (or the scheduler failed) mid-submit. */
  const resumeSubmission = async (entry: SchedulerJobEntry): Promise<void> => {
    const found = await backend.findJob(entry.taskId);
    if (found) {
      await registry.put({ ...entry, jobId: found });
      await taskLog(entry.taskId, 'INFO', `${name} job ${found} found after a restart: adopted`);
      return;
    }
    const statuses = await api.taskStatuses([entry.taskId]);
    const queue = queueById.get(entry.queueId);
    if (statuses.get(entry.taskId)?.status !== 'queued') {
      await forget(entry.taskId);
      return;
    }
    if (!queue) {
      await forget(entry.taskId);
      await api.failTask(entry.taskId, { statusReason: 'glue restarted without its queue', statusMessage: `the ${name} glue no longer serves queue ${entry.queueId}; enqueue the task again`, queueId: options.pendingQueue.id });
      return;
    }
    await submit(await api.getTask(entry.taskId), queue, entry.submittedAt);
  };

  const reconcile = async (): Promise<void> => {
    for (const entry of registry.entries().filter((e) => e.jobId === null)) {
      try {
        await resumeSubmission(entry);
      } catch (error) {
        log('warn', `task ${entry.taskId}: submitting its ${name} job failed, retrying next pass: ${errorText(error)}`);
      }
    }
    const entries = registry.entries().filter((e) => e.jobId !== null);
    if (entries.length === 0) return;
    const observations = await backend.observe(entries);
    const statuses = await api.taskStatuses(entries.map((e) => e.taskId));
    for (const entry of entries) {
      const observation = observations.get(entry.taskId);
      if (!observation) continue;
      const mem = memory.get(entry.taskId) ?? {};
      memory.set(entry.taskId, mem);
      const decision = decideJobAction({
        jobId: entry.jobId!,
        observation,
        task: statuses.get(entry.taskId) ?? null,
        memory: mem,
        now: now(),
        abortGraceMs: options.abortGraceMs,
        scheduler: name,
      });
      try {
        switch (decision.kind) {
          case 'none':
            break;
          case 'message':
            mem.lastMessage = decision.text;
            await api.setStatusMessage(entry.taskId, decision.text);
            log('debug', `task ${entry.taskId}: ${decision.text}`);
            break;
          case 'note-abort':
            mem.abortSeenAt = now();
            break;
          case 'cancel':
            await backend.cancel(entry);
            await taskLog(entry.taskId, 'WARNING', `Cancelled ${name} job ${entry.jobId}: ${decision.why}`);
            if (decision.settle) {
              await settle(entry, decision.settle);
              await backend.cleanup(entry);
              await forget(entry.taskId);
            } else {
              mem.cancelledForAbort = true;
            }
            break;
          case 'finish':
            await settle(entry, decision.outcome);
            await backend.cleanup(entry);
            await forget(entry.taskId);
            log('info', `task ${entry.taskId}: ${name} job ${entry.jobId} is over`);
            break;
        }
      } catch (error) {
        log('warn', `task ${entry.taskId}: acting on ${name} job ${entry.jobId} failed, retrying next pass: ${errorText(error)}`);
      }
    }
  };

  /** One pull from the queues that have room; true when a task was taken or the server waited. */
  const pull = async (): Promise<boolean> => {
    const open = options.queues.filter((q) => options.maxJobsPerQueue === null || registry.countForQueue(q.id) < options.maxJobsPerQueue);
    if (open.length === 0) return false;
    if (options.maxTotalJobs !== null && registry.entries().length >= options.maxTotalJobs) return false;
    const started = now();
    const got = await api.nextTask(
      open.map((q) => q.id),
      { waitMs: options.pollIntervalMs, workerId, signal: stopping.signal },
    );
    if (!got) return now() - started >= options.pollIntervalMs / 2;
    const queue = queueById.get(got.queueId) ?? open[0]!;
    try {
      await takeTask(got.taskId, queue);
    } catch (error) {
      log('error', `task ${got.taskId}: could not hand it to ${name}: ${errorText(error)}`);
      // Popped but not ours yet and not failed: put it back rather than lose it, and pause
      // before the next pull (the scheduler may be down).
      if (!registry.get(got.taskId)) await api.requeue(got.taskId, queue.id, `the ${name} glue could not take it: ${errorText(error)}`).catch(() => undefined);
      return false;
    }
    return true;
  };

  const run = async (): Promise<void> => {
    const queueIds = options.queues.map((q) => q.id);
    await api.register(workerId, queueIds);
    const reporter = startWorkerReporter({
      api: { statusReport: (r) => api.statusReport(r) } as Parameters<typeof startWorkerReporter>[0]['api'],
      buildReports: () => [{ workerId, queueIds }],
      takeMachineStats: async () => null,
      onError: (error) => log('warn', `worker status report failed: ${errorText(error)}`),
    });
    const inFlight = registry.entries().length;
    log('info', `${name} glue ${workerId} serving ${options.queues.map((q) => q.name).join(', ')}${inFlight ? `; adopting ${inFlight} job(s) from ${registry.file}` : ''}`);
    try {
      while (!stopped) {
        try {
          await reconcile();
        } catch (error) {
          log(error instanceof SchedulerUnavailableError ? 'warn' : 'error', `looking at ${name} jobs failed, retrying: ${errorText(error)}`);
        }
        if (stopped) break;
        let busy = false;
        try {
          busy = await pull();
        } catch (error) {
          if (!stopped) log('warn', `pulling from the queues failed: ${errorText(error)}`);
        }
        if (!busy && !stopped) await sleep(options.pollIntervalMs);
      }
    } finally {
      reporter.stop();
      await api.unregister(workerId).catch(() => undefined);
      const left = registry.entries().length;
      log('info', `${name} glue stopped${left ? `; ${left} job(s) still in flight, recorded in ${registry.file} for the next start` : ''}`);
    }
  };

  return {
    stop() {
      stopped = true;
      stopping.abort();
    },
    wake() {
      if (nap) nap.abort();
      else wokenEarly = true;
    },
    done: run(),
  };
}
