// Labels and names of the glue's pods (reference §7.3): the agent label groups one glue's pods.
import { createHash } from 'node:crypto';

export const agentLabelKey = 'CLEARML';
export const queueIdLabelKey = 'clearml-agent-queue';
export const queueNameLabelKey = 'clearml-agent-queue-name';

/** `agent-<first 8 hex of md5(worker id)>`: the same label clearml-agent's k8s glue puts on its pods. */
export function agentLabelValue(workerId: string): string {
  return `agent-${createHash('md5').update(workerId).digest('hex').slice(0, 8)}`;
}

/** `clearml-id-<task id>` (pods of a Job get a suffix from the Job controller). */
export const objectNameFor = (taskId: string): string => `clearml-id-${taskId}`;

export function taskIdFromObjectName(name: string): string | null {
  return name.startsWith('clearml-id-') ? name.slice('clearml-id-'.length) : null;
}

/** A valid label value: at most 63 of [A-Za-z0-9._-] (others become `_`), alphanumeric at both ends. */
export function safeLabelValue(text: string): string {
  const replaced = text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return replaced.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}
