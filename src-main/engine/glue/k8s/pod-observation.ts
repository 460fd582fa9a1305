// What a glue pod's status means to the glue (reference §7.3 "Housekeeping"). Pure.
import type { JobObservation } from '../scheduler-backend.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Waiting reasons after which the pod will not start without a new manifest. */
const hopelessWaiting: Record<string, string> = {
  ImagePullBackOff: 'the image cannot be pulled; check its name and the registry credentials',
  InvalidImageName: 'the image name is invalid',
  ErrImageNeverPull: 'the image is not on the node and imagePullPolicy is Never',
  CreateContainerConfigError: 'the container cannot be configured (a missing Secret or ConfigMap?)',
};

/** The pod's phase as the glue sees it. */
export function observePod(pod: Json): JobObservation {
  const status = isObject(pod['status']) ? pod['status'] : {};
  const phase = String(status['phase'] ?? 'Pending');
  const statuses = [...list(status['initContainerStatuses']), ...list(status['containerStatuses'])];
  if (phase === 'Succeeded' || phase === 'Failed') {
    const terminated = statuses.map((s) => (isObject(s['state']) ? s['state']['terminated'] : undefined)).find(isObject);
    const detail = [terminated?.['exitCode'] !== undefined ? `exit code ${String(terminated['exitCode'])}` : null, terminated?.['reason'] ? String(terminated['reason']) : null, terminated?.['message'] ? String(terminated['message']) : null, status['reason'] ? String(status['reason']) : null]
      .filter(Boolean)
      .join(', ');
    return { phase: 'ended', state: phase, detail };
  }
  if (phase === 'Running') return { phase: 'running', where: String((isObject(pod['spec']) && pod['spec']['nodeName']) || '') };
  if (phase === 'Unknown') return { phase: 'pending', reason: 'Unknown (the node stopped reporting)', never: null };
  for (const s of statuses) {
    const waiting = isObject(s['state']) && isObject(s['state']['waiting']) ? s['state']['waiting'] : null;
    if (!waiting?.['reason']) continue;
    const reason = String(waiting['reason']);
    const message = waiting['message'] ? `: ${String(waiting['message'])}` : '';
    return { phase: 'pending', reason: `${reason}${message}`, never: hopelessWaiting[reason] ?? null };
  }
  const scheduled = list(status['conditions']).find((c) => c['type'] === 'PodScheduled');
  if (scheduled && scheduled['status'] === 'False') {
    // Unschedulable may pass (autoscaler, a job ending): reported, not fatal.
    return { phase: 'pending', reason: `${String(scheduled['reason'] ?? 'Unschedulable')}${scheduled['message'] ? `: ${String(scheduled['message'])}` : ''}`, never: null };
  }
  return { phase: 'pending', reason: scheduled ? 'scheduled, starting' : 'waiting to be scheduled', never: null };
}
