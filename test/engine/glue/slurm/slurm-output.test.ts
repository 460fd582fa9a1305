import { describe, expect, it } from 'vitest';
import { describeExitCode, parseSbatchJobId, parseScontrolRecord, parseSqueue, permanentPendingReason, slurmPhase } from '../../../../src-main/engine/glue/slurm/slurm-output.js';

// Lines as Slurm 22.05 prints them for `squeue --format=%i|%j|%T|%r|%N` and `scontrol show job -o`.
describe('Slurm output parsing', () => {
  it('reads squeue rows, names with | included', () => {
    const out = '1|wrap|COMPLETED|None|vm\n2|clearml_task_x|PENDING|PartitionConfig|\n7|a|b|RUNNING|None|vm\n\n';
    expect(parseSqueue(out)).toEqual([
      { jobId: '1', name: 'wrap', state: 'COMPLETED', reason: 'None', nodes: 'vm' },
      { jobId: '2', name: 'clearml_task_x', state: 'PENDING', reason: 'PartitionConfig', nodes: '' },
      { jobId: '7', name: 'a|b', state: 'RUNNING', reason: 'None', nodes: 'vm' },
    ]);
  });

  it.each([
    ['12\n', '12'],
    ['12;trayagent\n', '12'],
    ['Submitted batch job 12\n', null],
    ['', null],
  ])('sbatch --parsable %j → %s', (out, id) => expect(parseSbatchJobId(out)).toBe(id));

  it('reads scontrol show job --oneliner', () => {
    const out =
      'JobId=2 JobName=clearml_task_x UserId=root(0) GroupId=root(0) JobState=CANCELLED Reason=PartitionConfig Dependency=(null) ExitCode=0:15 RunTime=00:00:00 Command=(null) WorkDir=/root StdErr=/root/slurm-2.out StdIn=/dev/null StdOut=/root/slurm-2.out Power=\n';
    const record = parseScontrolRecord(out)!;
    expect(record['JobState']).toBe('CANCELLED');
    expect(record['Reason']).toBe('PartitionConfig');
    expect(record['ExitCode']).toBe('0:15');
    expect(record['StdOut']).toBe('/root/slurm-2.out');
    expect(record['UserId']).toBe('root(0)');
    expect(parseScontrolRecord('slurm_load_jobs error: Invalid job id specified\n')).toBeNull();
  });

  it.each([
    ['PENDING', 'pending'],
    ['REQUEUED', 'pending'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['SUSPENDED', 'running'],
    ['COMPLETED', 'ended'],
    ['CANCELLED', 'ended'],
    ['CANCELLED by 0', 'ended'],
    ['FAILED', 'ended'],
    ['TIMEOUT', 'ended'],
    ['OUT_OF_MEMORY', 'ended'],
    ['NODE_FAIL', 'ended'],
  ])('state %s is %s', (state, phase) => expect(slurmPhase(state)).toBe(phase));

  it('knows which pending reasons never resolve', () => {
    expect(permanentPendingReason('PartitionConfig')).toMatch(/more than the partition offers/);
    expect(permanentPendingReason('BadConstraints')).not.toBeNull();
    for (const waiting of ['Resources', 'Priority', 'BeginTime', 'ReqNodeNotAvail', 'Dependency', 'None', 'JobHeldUser']) expect(permanentPendingReason(waiting)).toBeNull();
  });

  it.each([
    ['0:0', null],
    ['2:0', 'exit code 2'],
    ['0:9', 'signal 9'],
    [undefined, null],
  ])('exit code %s → %s', (code, text) => expect(describeExitCode(code)).toBe(text));
});
