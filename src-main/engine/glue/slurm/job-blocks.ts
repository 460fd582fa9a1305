// The three glue-provided blocks of an sbatch template: ${CLEARML_PRE_SETUP},
// ${CLEARML_AGENT_EXECUTE} and ${CLEARML_POST_SETUP}. Pure text; the glue passes it on stdin.
import { quote } from 'shell-quote';
import type { TemplateBlocks } from './render-template.js';

export interface JobBlockInputs {
  readonly taskId: string;
  readonly queue: { readonly id: string; readonly name: string };
  /** The job's own worker id (`<glue worker id>:<task id>`), as the k8s glue names pods' workers. */
  readonly jobWorkerId: string;
  /** argv that starts `tray-agent` on the node (see agent-command.ts). */
  readonly agentCommand: readonly string[];
  /** --config-file of the glue, passed on so the job reads the same clearml.conf. */
  readonly configFile: string | null;
  /** --singularity-mode: the image to run the agent in; null runs it on the node as is. */
  readonly singularityImage: string | null;
}

/** A Singularity/Apptainer image reference: docker image names get `docker://`, files and URIs stay. */
export function singularityImageRef(image: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image) || image.startsWith('/') || image.startsWith('./') || image.endsWith('.sif')) return image;
  return `docker://${image}`;
}

const missingRuntimeMessage = (taskId: string): string =>
  `tray-agent glue: --singularity-mode: neither singularity nor apptainer is on PATH on node $(hostname); install one there, or run the glue without --singularity-mode (task ${taskId})`;

export function jobBlocks(inputs: JobBlockInputs): TemplateBlocks {
  const { taskId, jobWorkerId } = inputs;
  // The id goes into shell text and the job name; ClearML ids are hex, anything odd is refused.
  if (!/^[A-Za-z0-9_-]+$/.test(taskId)) throw new Error(`task id "${taskId}" has characters a Slurm job name cannot carry`);
  const agent = [
    ...inputs.agentCommand,
    ...(inputs.configFile ? ['--config-file', inputs.configFile] : []),
    // --require-queue: a job that starts after the task was aborted or dequeued runs nothing.
    'execute',
    '--full-monitoring',
    '--require-queue',
    '--id',
    taskId,
  ];
  const workerEnv = `CLEARML_WORKER_ID=${quote([jobWorkerId])}`;
  let agentExecute: string;
  if (inputs.singularityImage === null) {
    agentExecute = `${workerEnv} ${quote(agent)}`;
  } else {
    // Checked in the job, on the node that runs it: the submit host may differ.
    agentExecute = [
      `tray_agent_container_runtime="$(command -v singularity || command -v apptainer)" || { echo "${missingRuntimeMessage(taskId)}" >&2; exit 127; }`,
      `${workerEnv} "$tray_agent_container_runtime" exec ${quote([singularityImageRef(inputs.singularityImage), ...agent])}`,
    ].join('\n');
  }
  const preSetup = [
    `export CLEARML_TASK_ID=${quote([taskId])} ${workerEnv} CLEARML_QUEUE_ID=${quote([inputs.queue.id])} CLEARML_QUEUE_NAME=${quote([inputs.queue.name])}`,
    `echo "tray-agent glue: Slurm job \${SLURM_JOB_ID:-?} runs task ${taskId} on $(hostname)"`,
  ].join('\n');
  const postSetup = `echo "tray-agent glue: the agent for task ${taskId} exited with code $?"`;
  return { preSetup, agentExecute, postSetup };
}
