import { describe, expect, it } from 'vitest';
import { renderSlurmTemplate, templateVariables, needsProjectName, TemplateError, type TemplateContext } from '../../../../src-main/engine/glue/slurm/render-template.js';

const task = {
  id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  name: 'train resnet',
  project: 'p0123456789abcdef0123456789abcd',
  type: 'training',
  tags: ['gpu', 'nightly'],
  script: { branch: 'main', entry_point: 'train.py' },
  container: { image: 'nvcr.io/nvidia/pytorch:24.01-py3', arguments: '--ipc=host', setup_shell_script: '' },
  hyperparams: {
    properties: { num_nodes: { section: 'properties', name: 'num_nodes', value: '4', type: 'int' } },
    Args: {
      lr: { section: 'Args', name: 'lr', value: '0.01' },
      'model.depth': { section: 'Args', name: 'model.depth', value: '50' },
      empty: { section: 'Args', name: 'empty', value: '' },
    },
  },
};

const ctx: TemplateContext = {
  queue: { id: 'q0123456789abcdef0123456789abcd', name: 'gpu-long' },
  workerId: 'login1:slurm-glue',
  task,
  projectName: 'vision',
  blocks: { preSetup: 'export A=1\necho pre', agentExecute: "CLEARML_WORKER_ID='w' node agent execute --id X", postSetup: 'echo post' },
};

const render = (text: string, context: TemplateContext = ctx): string => renderSlurmTemplate({ name: 't.template', text }, context);

describe('sbatch template rendering', () => {
  it.each([
    ['${CLEARML_QUEUE_NAME}', 'gpu-long'],
    ['${CLEARML_QUEUE_ID}', 'q0123456789abcdef0123456789abcd'],
    ['${CLEARML_WORKER_ID}', 'login1:slurm-glue'],
    ['${CLEARML_TASK.id}', task.id],
    ['${CLEARML_TASK.name}', 'train resnet'],
    ['${CLEARML_TASK.project}', task.project],
    ['${CLEARML_TASK.project.id}', task.project],
    ['${CLEARML_TASK.project.name}', 'vision'],
    ['${CLEARML_TASK.type}', 'training'],
    ['${CLEARML_TASK.script.branch}', 'main'],
    ['${CLEARML_TASK.tags}', 'gpu,nightly'],
    ['${CLEARML_TASK.container.image}', 'nvcr.io/nvidia/pytorch:24.01-py3'],
    ['${CLEARML_TASK.container.arguments}', '--ipc=host'],
    ['${CLEARML_TASK.hyperparams.properties.num_nodes.value}', '4'],
    ['${CLEARML_TASK.hyperparams.properties.num_nodes.value:1}', '4'],
    ['${CLEARML_TASK.hyperparams.properties.num_nodes.type}', 'int'],
    ['${CLEARML_TASK.hyperparams.Args.lr}', '0.01'],
    ['${CLEARML_TASK.hyperparams.Args.model.depth.value}', '50'],
    // Defaults: absent section, absent name, absent field, empty value.
    ['${CLEARML_TASK.hyperparams.properties.gpus.value:2}', '2'],
    ['${CLEARML_TASK.hyperparams.Nope.x.value:abc}', 'abc'],
    ['${CLEARML_TASK.container.setup_shell_script:true}', 'true'],
    ['${CLEARML_TASK.hyperparams.Args.empty.value:7}', '7'],
    ['${CLEARML_TASK.comment:none given}', 'none given'],
    ['${CLEARML_TASK.hyperparams.properties.time.value:}', ''],
    ['${CLEARML_UNKNOWN_THING:fallback}', 'fallback'],
    // An empty field without a default is empty, not an error: the field exists.
    ['[${CLEARML_TASK.hyperparams.Args.empty.value}]', '[]'],
    ['${CLEARML_PRE_SETUP}', 'export A=1\necho pre'],
    ['${CLEARML_AGENT_EXECUTE}', "CLEARML_WORKER_ID='w' node agent execute --id X"],
    ['${CLEARML_POST_SETUP}', 'echo post'],
  ])('%s → %s', (text, expected) => {
    expect(render(text)).toBe(expected);
  });

  it('renders a whole template and leaves shell variables alone', () => {
    const template = [
      '#!/bin/bash',
      '#SBATCH --job-name=clearml_task_${CLEARML_TASK.id}',
      '#SBATCH --nodes=${CLEARML_TASK.hyperparams.properties.num_nodes.value:1}',
      '#SBATCH --partition=${CLEARML_QUEUE_NAME}',
      '${CLEARML_PRE_SETUP}',
      'echo "$SLURM_JOB_ID ${HOME} ${SLURM_NODELIST:-none}"',
      'srun ${CLEARML_AGENT_EXECUTE}',
      '${CLEARML_POST_SETUP}',
      '',
    ].join('\n');
    expect(render(template)).toBe(
      [
        '#!/bin/bash',
        `#SBATCH --job-name=clearml_task_${task.id}`,
        '#SBATCH --nodes=4',
        '#SBATCH --partition=gpu-long',
        'export A=1\necho pre',
        'echo "$SLURM_JOB_ID ${HOME} ${SLURM_NODELIST:-none}"',
        "srun CLEARML_WORKER_ID='w' node agent execute --id X",
        'echo post',
        '',
      ].join('\n'),
    );
  });

  it('puts values in as they are except newlines, which would end an #SBATCH line', () => {
    const context = { ...ctx, task: { ...task, name: 'two\nlines; $(rm -rf /)' } };
    expect(render('#SBATCH --comment="${CLEARML_TASK.name}"', context)).toBe('#SBATCH --comment="two lines; $(rm -rf /)"');
  });

  it.each([
    ['a missing field without default', 'echo\n#SBATCH --nodes=${CLEARML_TASK.hyperparams.properties.gpus.value}', 2, '${CLEARML_TASK.hyperparams.properties.gpus.value}', /has no value for task a1b2.* and no default/],
    ['an unknown variable', '${CLEARML_QUEUE_NAME}\n\n${CLEARML_QUEUE}', 3, '${CLEARML_QUEUE}', /unknown variable \$\{CLEARML_QUEUE\}; known: CLEARML_QUEUE_NAME/],
    ['an unknown project field', '${CLEARML_TASK.project.owner}', 1, '${CLEARML_TASK.project.owner}', /unknown variable/],
    ['an object, not a value', '${CLEARML_TASK.script}', 1, '${CLEARML_TASK.script}', /is not a single value \(it holds an object \(branch, entry_point\)\)/],
    ['an object even with a default', '${CLEARML_TASK.container:x}', 1, '${CLEARML_TASK.container:x}', /is not a single value/],
    ['a hyperparameter section without a name', '${CLEARML_TASK.hyperparams.Args:1}', 1, '${CLEARML_TASK.hyperparams.Args:1}', /give a section and a name/],
    ['an empty task field name', '${CLEARML_TASK.}', 1, '${CLEARML_TASK.}', /unknown variable/],
  ])('%s is an error naming the variable and its line', (_what, text, line, variable, message) => {
    let error: unknown;
    try {
      render(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    const te = error as TemplateError;
    expect(te.line).toBe(line);
    expect(te.variable).toBe(variable);
    expect(te.template).toBe('t.template');
    expect(te.message).toContain(`t.template line ${line}: `);
    expect(te.message).toContain(variable);
    expect(te.message).toMatch(message);
  });

  it('an unterminated variable is an error found before any task', () => {
    expect(() => templateVariables({ name: 'bad.template', text: '#!/bin/bash\n#SBATCH --nodes=${CLEARML_TASK.hyperparams.x.y.value:1\n' })).toThrow(
      /bad.template line 2: \$\{CLEARML_TASK.hyperparams.x.y.value:1 has no closing "}"/,
    );
  });

  it('lists variables with lines and defaults, and knows when the project name is needed', () => {
    const template = { name: 't', text: 'a ${CLEARML_QUEUE_NAME}\nb ${CLEARML_TASK.x:1} ${CLEARML_TASK.project.name}' };
    expect(templateVariables(template)).toEqual([
      { text: '${CLEARML_QUEUE_NAME}', spec: 'CLEARML_QUEUE_NAME', fallback: null, line: 1 },
      { text: '${CLEARML_TASK.x:1}', spec: 'CLEARML_TASK.x', fallback: '1', line: 2 },
      { text: '${CLEARML_TASK.project.name}', spec: 'CLEARML_TASK.project.name', fallback: null, line: 2 },
    ]);
    expect(needsProjectName(template)).toBe(true);
    expect(needsProjectName({ name: 't', text: '${CLEARML_TASK.project}' })).toBe(false);
  });
});
