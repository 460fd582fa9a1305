// The manifest cases shared by the golden tests and the kubectl check: each template of
// test/engine/glue/k8s/templates/ rendered for one fixed task.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ManifestInputs } from '../../src-main/engine/glue/k8s/manifest.js';

const k8sTestDir = fileURLToPath(new URL('../engine/glue/k8s/', import.meta.url));
export const goldenCases: Array<{ template: string; kind: 'pod' | 'job'; golden: string }> = [
  { template: 'basic-pod.yaml', kind: 'pod', golden: 'basic-pod.pod.yaml' },
  { template: 'mig-gpu.yaml', kind: 'pod', golden: 'mig-gpu.pod.yaml' },
  { template: 'shared-gpu.yaml', kind: 'pod', golden: 'shared-gpu.pod.yaml' },
  { template: 'basic-pod.yaml', kind: 'job', golden: 'basic-pod.job.yaml' },
  { template: 'batch-job.yaml', kind: 'job', golden: 'batch-job.job.yaml' },
];

export const manifestTask = {
  id: '0123456789abcdef0123456789abcdef',
  container: { image: '', arguments: '-e WANDB_MODE=offline --env=HF_HOME=/data/hf --ipc=host --shm-size 8g' },
};

export async function inputsFor(template: string, kind: 'pod' | 'job'): Promise<ManifestInputs> {
  return {
    template: parse(await readFile(`${k8sTestDir}templates/${template}`, 'utf8')) as Record<string, unknown>,
    templateName: template,
    kind,
    task: manifestTask,
    queue: { id: 'fedcba9876543210fedcba9876543210', name: 'GPU queue (H200)' },
    workerId: 'k8s-glue-host:k8s-glue',
    namespace: 'clearml',
    defaultImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04',
    forcePull: false,
    agentCommand: ['tray-agent'],
    useImageEntrypoint: false,
    apiServer: 'http://10.0.0.5:8008',
    filesServer: 'http://10.0.0.5:8081',
    credentialsSecret: 'clearml-agent-credentials',
  };
}

export const goldenPath = (golden: string): string => `${k8sTestDir}golden/${golden}`;
