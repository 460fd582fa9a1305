import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useAgentTestBed } from '../../helpers/agent-test-bed.js';
import { runCliCaptured } from '../../helpers/run-cli-captured.js';

// `tray-agent glue …` bad input: usage errors (exit 2) that name the flag or file, found before
// anything is submitted. Needs no scheduler: every case fails before one would be asked.
const bed = useAgentTestBed('glue-cli');
const glue = (...args: string[]) => runCliCaptured('--config-file', bed.configFile, 'glue', ...args);

async function file(name: string, text: string): Promise<string> {
  await mkdir(join(bed.root, 't'), { recursive: true });
  const path = join(bed.root, 't', name);
  await writeFile(path, text);
  return path;
}

describe('tray-agent glue: bad input', () => {
  it.each([
    [['slurm', '--queue', 'q', '--template-files', 'x', '--max-jobs', '0'], '--max-jobs "0": expected a whole number ≥ 1'],
    [['slurm', '--queue', 'q', '--template-files', 'x', '--dry-run'], '--dry-run needs --task-id'],
    [['slurm', '--queue', 'q', '--template-files', 'x', '--task-id', 'abc'], '--task-id goes with --dry-run'],
    [['slurm', '--queue', 'q', '--template-files', 'x', '--polling-interval', 'soon'], '--polling-interval "soon": expected seconds ≥ 0.1'],
    [['slurm', '--queue', 'q'], "required option '--template-files <files...>' not specified"],
    [['k8s', '--queue', 'q', '--template-yaml', 'x', '--kind', 'deployment'], '--kind "deployment": expected pod or job'],
    [['k8s', '--queue', 'q', '--queue-template', 'q'], '--queue-template "q": expected QUEUE=FILE'],
  ])('glue %j → exit 2', async (args, message) => {
    const result = await glue(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('a template with an unterminated variable is refused before anything starts, naming file and line', async () => {
    const template = await file('open.template', '#!/bin/bash\n#SBATCH --nodes=${CLEARML_TASK.hyperparams.properties.n.value:1\n');
    const result = await glue('slurm', '--queue', 'q', '--template-files', template, '--dry-run', '--task-id', 'abc');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--template-files ${template}: open.template line 2: \${CLEARML_TASK.hyperparams.properties.n.value:1 has no closing "}"`);
    const missing = await glue('slurm', '--queue', 'q', '--template-files', join(bed.root, 'nope.template'), '--dry-run', '--task-id', 'abc');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.template: cannot read it (ENOENT)');
  });

  it('templates and queues must pair up', async () => {
    await bed.client.queues.create({ name: 'cli-q1' });
    await bed.client.queues.create({ name: 'cli-q2' });
    await bed.client.queues.create({ name: 'cli-q3' });
    const { id } = await bed.client.tasks.create({ name: 'dry', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'print(1)\n' } } as never);
    const a = await file('a.template', '#!/bin/bash\n${CLEARML_AGENT_EXECUTE}\n');
    const result = await glue('slurm', '--queue', 'cli-q1', 'cli-q2', 'cli-q3', '--template-files', a, a, '--dry-run', '--task-id', id);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--template-files: 2 templates for 3 queues; give one per queue, in the same order (or one for all)');
  });

  it('a dry run of a task whose template cannot be rendered names the variable and exits 1', async () => {
    await bed.client.queues.create({ name: 'cli-dry' });
    const { id } = await bed.client.tasks.create({ name: 'dry', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'print(1)\n' } } as never);
    const t = await file('needs.template', '#!/bin/bash\n#SBATCH --gres=gpu:${CLEARML_TASK.hyperparams.properties.gpus.value}\n');
    const result = await glue('slurm', '--queue', 'cli-dry', '--template-files', t, '--dry-run', '--task-id', id);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`needs.template line 2: \${CLEARML_TASK.hyperparams.properties.gpus.value} has no value for task ${id}`);
  });
});
