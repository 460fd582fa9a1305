import { describe, expect, it } from 'vitest';
import { observePod } from '../../../../src-main/engine/glue/k8s/pod-observation.js';

// Pod status blocks as the API server reports them at each stage of a pod's life.
const waiting = (reason: string, message?: string) => ({ status: { phase: 'Pending', containerStatuses: [{ name: 'task', state: { waiting: { reason, ...(message ? { message } : {}) } } }] } });

describe('what a pod\'s status means to the glue', () => {
  it.each([
    ['just created', { status: { phase: 'Pending', qosClass: 'BestEffort' } }, { phase: 'pending', reason: 'waiting to be scheduled', never: null }],
    [
      'unschedulable (reported, may pass)',
      { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] } },
      { phase: 'pending', reason: 'Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', never: null },
    ],
    ['scheduled, creating', waiting('ContainerCreating'), { phase: 'pending', reason: 'ContainerCreating', never: null }],
    ['pulling failed once (retried)', waiting('ErrImagePull', 'rpc error'), { phase: 'pending', reason: 'ErrImagePull: rpc error', never: null }],
    [
      'ImagePullBackOff (hopeless)',
      waiting('ImagePullBackOff', 'Back-off pulling image "nope:1"'),
      { phase: 'pending', reason: 'ImagePullBackOff: Back-off pulling image "nope:1"', never: 'the image cannot be pulled; check its name and the registry credentials' },
    ],
    ['a missing secret', waiting('CreateContainerConfigError', 'secret "creds" not found'), { phase: 'pending', reason: 'CreateContainerConfigError: secret "creds" not found', never: expect.stringContaining('missing Secret') }],
    ['running', { spec: { nodeName: 'gpu-7' }, status: { phase: 'Running' } }, { phase: 'running', where: 'gpu-7' }],
    ['succeeded', { status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, { phase: 'ended', state: 'Succeeded', detail: 'exit code 0, Completed' }],
    [
      'failed to start its command',
      { status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "tray-agent": executable file not found in $PATH' } } }] } },
      { phase: 'ended', state: 'Failed', detail: 'exit code 128, StartError, exec: "tray-agent": executable file not found in $PATH' },
    ],
    ['evicted', { status: { phase: 'Failed', reason: 'Evicted' } }, { phase: 'ended', state: 'Failed', detail: 'Evicted' }],
    ['node lost', { status: { phase: 'Unknown' } }, { phase: 'pending', reason: 'Unknown (the node stopped reporting)', never: null }],
  ])('%s', (_what, pod, expected) => {
    expect(observePod(pod as Record<string, unknown>)).toEqual(expected);
  });
});
