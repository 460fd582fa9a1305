// The one place a daemon's worker id is worked out from its configuration: used when it starts
// (with the instance slot it gets), by `daemon --stop` and by `daemon --status`, so the three
// can never disagree (they did: `--dynamic-gpus --gpus 0-3` is `host:dgpu0-3`, not `host:gpu0-3`).
import type { GpuSelection } from '../gpu/gpu-spec.js';
import { formWorkerId, workerName, type DynamicWorkerRole } from './worker-id.js';

export interface WorkerIdentityInputs {
  readonly hostname: string;
  /** agent.worker_id / agent.worker_name (CLEARML_WORKER_ID / _NAME in env win). */
  readonly workerId?: string | null;
  readonly workerName?: string | null;
  readonly selection: GpuSelection | null;
  readonly cpuOnly: boolean;
  readonly dynamicGpus: boolean;
  readonly env: Record<string, string | undefined>;
}

export interface WorkerIdentity {
  /** The name part (`host` or agent.worker_name). */
  readonly name: string;
  /** The id for a given local instance slot (only `host:N` ids depend on it). */
  idForSlot(slot: number): string;
  /**
   * The id with the slot left open (`host:*`): daemons started with the same flags share it,
   * whichever slot they got. `--stop` compares it with what each local daemon recorded.
   */
  readonly matchKey: string;
}

const SLOT_PLACEHOLDER = -1;

export function resolveWorkerIdentity(inputs: WorkerIdentityInputs): WorkerIdentity {
  const dynamic: DynamicWorkerRole | null = inputs.dynamicGpus
    ? { kind: 'daemon', gpuSpec: inputs.selection && inputs.selection.kind === 'list' ? inputs.selection.spec : '' }
    : null;
  const idForSlot = (slot: number): string =>
    formWorkerId({
      hostname: inputs.hostname,
      workerId: inputs.workerId,
      workerName: inputs.workerName,
      gpus: inputs.selection,
      cpuOnly: inputs.cpuOnly,
      slot,
      dynamic,
      env: inputs.env,
    });
  const open = idForSlot(SLOT_PLACEHOLDER);
  return {
    name: workerName({ hostname: inputs.hostname, workerName: inputs.workerName, env: inputs.env }),
    idForSlot,
    matchKey: open.endsWith(`:${SLOT_PLACEHOLDER}`) ? `${open.slice(0, -String(SLOT_PLACEHOLDER).length)}*` : open,
  };
}
