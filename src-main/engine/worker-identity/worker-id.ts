// The worker id a daemon registers with, formed the way clearml-agent forms it (reference §3.2),
// so ids stay stable for users switching between the two agents.
import type { GpuSelection } from '../gpu/gpu-spec.js';
import { formatGpuDevices } from '../gpu/gpu-spec.js';

/** Dynamic GPUs: the daemon itself, or one task slot holding GPUs (or part of one). */
export type DynamicWorkerRole =
  | { kind: 'daemon'; gpuSpec: string }
  | { kind: 'slot'; gpus: readonly number[]; fraction: number | null; letter: string | null };

export interface WorkerIdInputs {
  hostname: string;
  /** `agent.worker_id`; CLEARML_WORKER_ID in `env` wins over it. */
  workerId?: string | null;
  /** `agent.worker_name`; CLEARML_WORKER_NAME in `env` wins over it; default the hostname. */
  workerName?: string | null;
  gpus?: GpuSelection | null;
  cpuOnly?: boolean;
  /** Lowest free local instance number (see acquireLocalWorkerLock). */
  slot: number;
  dynamic?: DynamicWorkerRole | null;
  /** Services-mode child: `<daemon worker id>:service:<task id>`. */
  servicesTask?: { taskId: string; parentWorkerId?: string } | null;
  env?: Record<string, string | undefined>;
}

const nonEmpty = (v: string | null | undefined): string | null => (v !== null && v !== undefined && v.trim() !== '' ? v.trim() : null);

/** `2.25a` for a quarter of GPU 2 — clearml-agent's naming of fractional GPU workers. */
function fractionLabel(gpu: number, fraction: number, letter: string | null): string {
  const digits = fraction.toString().replace(/^0\./, '');
  return `${gpu}.${digits}${letter ?? ''}`;
}

function gpuLabel(selection: GpuSelection): string | null {
  switch (selection.kind) {
    case 'all':
      return 'all';
    case 'none':
      return null;
    case 'list':
      // The text as written (`0-3` stays `0-3`), as clearml-agent does; --stop recomputes it.
      return selection.spec || formatGpuDevices(selection.devices);
    case 'uuids':
      return selection.uuids.join(',');
  }
}

export function workerName(inputs: Pick<WorkerIdInputs, 'hostname' | 'workerName' | 'env'>): string {
  const name = nonEmpty(inputs.env?.CLEARML_WORKER_NAME) ?? nonEmpty(inputs.workerName) ?? nonEmpty(inputs.hostname);
  if (name === null) throw new Error('cannot form a worker id: no hostname and no worker name (set agent.worker_name or CLEARML_WORKER_NAME)');
  return name;
}

export function formWorkerId(inputs: WorkerIdInputs): string {
  if (inputs.servicesTask) {
    const parent = inputs.servicesTask.parentWorkerId ?? formWorkerId({ ...inputs, servicesTask: null });
    return `${parent}:service:${inputs.servicesTask.taskId}`;
  }
  const name = workerName(inputs);
  const dynamic = inputs.dynamic;
  if (dynamic?.kind === 'slot') {
    const [first] = dynamic.gpus;
    if (dynamic.fraction !== null && first !== undefined) return `${name}:gpu${fractionLabel(first, dynamic.fraction, dynamic.letter)}`;
    return `${name}:gpu${dynamic.gpus.join(',')}`;
  }
  const explicit = nonEmpty(inputs.env?.CLEARML_WORKER_ID) ?? nonEmpty(inputs.workerId);
  if (explicit !== null) return explicit;
  if (dynamic?.kind === 'daemon') return `${name}:dgpu${dynamic.gpuSpec}`;
  const gpus = inputs.cpuOnly ? ({ kind: 'none' } as const) : (inputs.gpus ?? null);
  if (gpus === null) return `${name}:${inputs.slot}`;
  const label = gpuLabel(gpus);
  return label === null ? `${name}:cpu:${inputs.slot}` : `${name}:gpu${label}`;
}
