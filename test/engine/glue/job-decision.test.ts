import { describe, expect, it } from 'vitest';
import { decideJobAction, type DecisionInputs, type JobMemory } from '../../../src-main/engine/glue/job-decision.js';
import type { JobObservation } from '../../../src-main/engine/glue/scheduler-backend.js';

const pending: JobObservation = { phase: 'pending', reason: 'Resources', never: null };
const pendingNever: JobObservation = { phase: 'pending', reason: 'PartitionConfig', never: 'asks for more than the partition offers' };
const running: JobObservation = { phase: 'running', where: 'node7' };
const ended: JobObservation = { phase: 'ended', state: 'CANCELLED', detail: 'reason None' };
const gone: JobObservation = { phase: 'gone' };

const task = (status: string, statusMessage = '') => ({ status, statusMessage });

function decide(observation: JobObservation, t: ReturnType<typeof task> | null, memory: JobMemory = {}, now = 1_000): ReturnType<typeof decideJobAction> {
  const inputs: DecisionInputs = { jobId: '42', observation, task: t, memory, now, abortGraceMs: 25_000, scheduler: 'Slurm' };
  return decideJobAction(inputs);
}

describe('what the glue does about a job', () => {
  it.each([
    ['pending, task queued', pending, task('queued'), { kind: 'message', text: 'Slurm job 42 pending: Resources' }],
    ['pending, task aborted (stopped)', pending, task('stopped'), { kind: 'cancel', why: 'the task is stopped', settle: { kind: 'leave' } }],
    ['pending, task deleted', pending, null, { kind: 'cancel', why: 'the task was deleted', settle: { kind: 'leave' } }],
    ['pending, task reset', pending, task('created'), { kind: 'cancel', why: 'the task is created', settle: { kind: 'leave' } }],
    ['running, task queued', running, task('queued'), { kind: 'message', text: 'Slurm job 42 running on node7; starting the agent' }],
    ['running, task in progress', running, task('in_progress'), { kind: 'none' }],
    ['running, task aborted: wait for the agent first', running, task('in_progress', 'stopping'), { kind: 'note-abort' }],
    ['running, task already stopped by its agent', running, task('stopped'), { kind: 'note-abort' }],
    ['ended, task completed', ended, task('completed'), { kind: 'finish', outcome: { kind: 'leave' } }],
    ['ended, task failed by its agent', ended, task('failed'), { kind: 'finish', outcome: { kind: 'leave' } }],
    ['gone, task deleted', gone, null, { kind: 'finish', outcome: { kind: 'leave' } }],
  ])('%s', (_name, observation, t, expected) => {
    expect(decide(observation, t)).toEqual(expected);
  });

  it('does not repeat a status message', () => {
    expect(decide(pending, task('queued'), { lastMessage: 'Slurm job 42 pending: Resources' })).toEqual({ kind: 'none' });
  });

  it('a job that can never start is cancelled and its task failed with the scheduler\'s reason', () => {
    expect(decide(pendingNever, task('queued'))).toEqual({
      kind: 'cancel',
      why: 'it cannot start (PartitionConfig)',
      settle: {
        kind: 'fail',
        statusReason: 'Slurm cannot start the job',
        statusMessage: 'Slurm job 42 cannot start: PartitionConfig — asks for more than the partition offers',
        fromPendingQueue: true,
        attachOutput: false,
      },
    });
  });

  it('a job cancelled or ended before the task started fails the task, with the job output', () => {
    expect(decide(ended, task('queued'))).toEqual({
      kind: 'finish',
      outcome: {
        kind: 'fail',
        statusReason: 'Slurm job ended before the task started',
        statusMessage: 'Slurm job 42 ended CANCELLED (reason None) before the task started',
        fromPendingQueue: true,
        attachOutput: true,
      },
    });
    expect(decide(gone, task('queued'))).toMatchObject({ outcome: { kind: 'fail', statusMessage: 'Slurm job 42 is no longer known to Slurm before the task started' } });
  });

  it('a job that ends under a running task (killed, timed out) fails it', () => {
    expect(decide({ phase: 'ended', state: 'TIMEOUT', detail: 'signal 15' }, task('in_progress'))).toMatchObject({
      kind: 'finish',
      outcome: { kind: 'fail', statusMessage: 'Slurm job 42 ended TIMEOUT (signal 15) while the task was running', fromPendingQueue: false, attachOutput: true },
    });
  });

  it('abort of a running task: the job is cancelled only after the grace, and the task ends stopped', () => {
    const memory: JobMemory = { abortSeenAt: 1_000 };
    expect(decide(running, task('in_progress', 'stopping'), memory, 20_000)).toEqual({ kind: 'none' });
    expect(decide(running, task('in_progress', 'stopping'), memory, 26_000)).toEqual({ kind: 'cancel', why: 'the task is being aborted and the job still runs', settle: null });
    expect(decide(running, task('in_progress', 'stopping'), { ...memory, cancelledForAbort: true }, 60_000)).toEqual({ kind: 'none' });
    expect(decide(ended, task('in_progress'), { ...memory, cancelledForAbort: true })).toEqual({
      kind: 'finish',
      outcome: { kind: 'stop', statusReason: 'aborted', statusMessage: 'aborted; Slurm job 42 was cancelled', fromPendingQueue: false, attachOutput: false },
    });
  });

  it('a pending job of a task that is being stopped (requeued by the scheduler) is cancelled and the task stopped', () => {
    expect(decide(pending, task('in_progress', 'stopping'))).toMatchObject({ kind: 'cancel', settle: { kind: 'stop', statusMessage: 'aborted while Slurm job 42 was pending' } });
  });
});
