import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { jobBlocks, singularityImageRef } from '../../../../src-main/engine/glue/slurm/job-blocks.js';

const inputs = {
  taskId: 'a1b2c3',
  queue: { id: 'q1', name: 'gpu queue' },
  jobWorkerId: 'login1:slurm-glue:a1b2c3',
  agentCommand: ['/opt/node/bin/node', '/srv/tray agent/bin/tray-agent.js'],
  configFile: '/home/u/clearml.conf',
  singularityImage: null,
};

describe('glue blocks of an sbatch template', () => {
  it('CLEARML_AGENT_EXECUTE runs tray-agent execute for the task with the job worker id, quoted', () => {
    expect(jobBlocks(inputs).agentExecute).toBe(
      "CLEARML_WORKER_ID=login1\\:slurm-glue\\:a1b2c3 /opt/node/bin/node '/srv/tray agent/bin/tray-agent.js' --config-file /home/u/clearml.conf execute --full-monitoring --require-queue --id a1b2c3",
    );
  });

  it('without a config file the job reads the usual one', () => {
    expect(jobBlocks({ ...inputs, configFile: null }).agentExecute).not.toContain('--config-file');
  });

  it('PRE_SETUP exports the ids; POST_SETUP reports the exit code', () => {
    const blocks = jobBlocks(inputs);
    // What bash makes of it, not how it is spelt.
    const seen = execFileSync('bash', ['-c', `${blocks.preSetup} >/dev/null; printf '%s|' "$CLEARML_TASK_ID" "$CLEARML_WORKER_ID" "$CLEARML_QUEUE_ID" "$CLEARML_QUEUE_NAME"`], { encoding: 'utf8' });
    expect(seen).toBe('a1b2c3|login1:slurm-glue:a1b2c3|q1|gpu queue|');
    expect(blocks.postSetup).toBe('echo "tray-agent glue: the agent for task a1b2c3 exited with code $?"');
  });

  it('--singularity-mode checks for singularity or apptainer on the node, then execs the agent in the image', () => {
    const lines = jobBlocks({ ...inputs, singularityImage: 'python:3.11' }).agentExecute.split('\n');
    expect(lines[0]).toContain('command -v singularity || command -v apptainer');
    expect(lines[0]).toContain('neither singularity nor apptainer is on PATH on node $(hostname)');
    expect(lines[0]).toContain('exit 127');
    expect(lines[1]).toMatch(/^CLEARML_WORKER_ID=\S+ "\$tray_agent_container_runtime" exec docker\\?:\/\/python\\?:3\.11 \/opt\/node\/bin\/node /);
  });

  it.each([
    ['python:3.11', 'docker://python:3.11'],
    ['nvcr.io/nvidia/pytorch:24.01-py3', 'docker://nvcr.io/nvidia/pytorch:24.01-py3'],
    ['docker://ubuntu', 'docker://ubuntu'],
    ['library://alpine', 'library://alpine'],
    ['/images/torch.sif', '/images/torch.sif'],
    ['torch.sif', 'torch.sif'],
  ])('image %s → %s', (image, ref) => expect(singularityImageRef(image)).toBe(ref));

  it('refuses a task id that could not be a job name', () => {
    expect(() => jobBlocks({ ...inputs, taskId: 'x"; rm -rf /' })).toThrow(/cannot carry/);
  });
});
