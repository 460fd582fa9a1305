import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { buildManifest, envFromTaskArguments, ManifestError, type ManifestInputs } from '../../../../src-main/engine/glue/k8s/manifest.js';
import { goldenCases, goldenPath, inputsFor, manifestTask as task } from '../../../helpers/k8s-manifest-cases.js';
import { agentLabelValue, safeLabelValue } from '../../../../src-main/engine/glue/k8s/labels.js';

// Golden manifests, one per template (test/engine/glue/k8s/templates/): what the glue sends to
// the API server for a fixed task. UPDATE_GOLDEN=1 rewrites them (then read the diff).
describe('k8s manifests from templates (golden)', () => {
  it.each(goldenCases)('$template as a $kind matches golden/$golden', async ({ template, kind, golden }) => {
    const { manifest } = buildManifest(await inputsFor(template, kind));
    const text = stringify(manifest);
    const path = goldenPath(golden);
    if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(path, text);
    expect(text).toBe(await readFile(path, 'utf8'));
  });

  it('names, labels, env and command are the glue\'s; resources and node selection are the template\'s', async () => {
    const built = buildManifest(await inputsFor('mig-gpu.yaml', 'pod'));
    const pod = built.manifest as { metadata: { name: string; labels: Record<string, string> }; spec: { restartPolicy: string; nodeSelector: unknown; containers: Array<Record<string, unknown>> } };
    expect(built.name).toBe(`clearml-id-${task.id}`);
    expect(pod.metadata.labels).toEqual({
      team: 'vision',
      CLEARML: agentLabelValue('k8s-glue-host:k8s-glue'),
      'clearml-agent-queue': 'fedcba9876543210fedcba9876543210',
      'clearml-agent-queue-name': 'GPU_queue__H200',
    });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-H200', 'nvidia.com/mig.config': 'all-1g.18gb' });
    const [main, sidecar] = pod.spec.containers;
    expect(main!['image']).toBe('nvcr.io/nvidia/pytorch:24.01-py3');
    expect(main!['resources']).toEqual({ limits: { 'nvidia.com/mig-1g.18gb': 1, memory: '32Gi' }, requests: { cpu: '4' } });
    expect(main!['command']).toEqual(['tray-agent']);
    expect(main!['args']).toEqual(['execute', '--full-monitoring', '--require-queue', '--id', task.id]);
    const env = main!['env'] as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    expect(env.find((e) => e.name === 'CLEARML_API_HOST')?.value).toBe('http://clearml-apiserver.clearml.svc:8008');
    expect(env.find((e) => e.name === 'CLEARML_WORKER_ID')?.value).toBe(`k8s-glue-host:k8s-glue:${task.id}`);
    expect(env.find((e) => e.name === 'CLEARML_TASK_ID')?.value).toBe(task.id);
    expect(env.find((e) => e.name === 'CLEARML_API_SECRET_KEY')?.valueFrom).toEqual({ secretKeyRef: { name: 'clearml-agent-credentials', key: 'CLEARML_API_SECRET_KEY' } });
    expect(env.find((e) => e.name === 'WANDB_MODE')?.value).toBe('offline');
    expect(env.find((e) => e.name === 'HF_HOME')?.value).toBe('/data/hf');
    expect(sidecar).toEqual({ name: 'sidecar', image: 'busybox:1.36', command: ['sh', '-c', 'sleep infinity'] });
    expect(built.droppedArguments).toEqual(['--ipc=host', '--shm-size', '8g']);
    // No secret value is ever in a manifest: only the Secret's name.
    expect(JSON.stringify(pod)).not.toMatch(/secret_key|SECRET_KEY":"[^{]/);
  });

  it('the image: the task\'s, else the template\'s, else agent.default_docker.image; force pull; image entrypoint', async () => {
    const base = await inputsFor('basic-pod.yaml', 'pod');
    const image = (inputs: ManifestInputs) => ((buildManifest(inputs).manifest as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers[0]!);
    expect(image(base)['image']).toBe('nvidia/cuda:12.4.1-runtime-ubuntu22.04');
    expect(image({ ...base, task: { id: task.id, container: { image: 'python:3.12' } } })['image']).toBe('python:3.12');
    expect(image(await inputsFor('mig-gpu.yaml', 'pod'))['image']).toBe('nvcr.io/nvidia/pytorch:24.01-py3');
    expect(image({ ...base, forcePull: true })['imagePullPolicy']).toBe('Always');
    const entry = image({ ...base, useImageEntrypoint: true });
    expect(entry['command']).toBeUndefined();
    expect(entry['args']).toBeUndefined();
    expect(() => buildManifest({ ...base, defaultImage: '' })).toThrow(/no image/);
  });

  it('rejects templates that are not a pod or a Job, naming the file', async () => {
    const base = await inputsFor('basic-pod.yaml', 'pod');
    expect(() => buildManifest({ ...base, template: { kind: 'Deployment', spec: {} } })).toThrow(ManifestError);
    expect(() => buildManifest({ ...base, template: { kind: 'Deployment', spec: {} } })).toThrow(/basic-pod.yaml: kind Deployment is not a Pod or a Job template/);
    expect(() => buildManifest({ ...base, template: { metadata: {} } })).toThrow(/basic-pod.yaml: no spec/);
    expect(() => buildManifest({ ...base, template: { kind: 'Job', spec: {} } })).toThrow(/needs spec.template.spec/);
  });

  it('reads -e/--env from the task\'s container arguments', () => {
    expect(envFromTaskArguments('-e A=1 --env B="two words" -eC=3 --env=D=4 --gpus all -e BROKEN')).toEqual({
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'two words' },
        { name: 'C', value: '3' },
        { name: 'D', value: '4' },
      ],
      dropped: ['--gpus', 'all', '-e BROKEN'],
    });
    expect(envFromTaskArguments(null)).toEqual({ env: [], dropped: [] });
  });

  it.each([
    ['GPU queue (H200)', 'GPU_queue__H200'],
    ['-leading-and-trailing-', 'leading-and-trailing'],
    ['x'.repeat(80), 'x'.repeat(63)],
    ['ok.name_1', 'ok.name_1'],
  ])('label value %s → %s', (text, label) => expect(safeLabelValue(text)).toBe(label));
});
