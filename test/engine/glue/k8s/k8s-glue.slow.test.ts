import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { useAgentTestBed } from '../../../helpers/agent-test-bed.js';
import { runCliCaptured } from '../../../helpers/run-cli-captured.js';
import { buildCli } from '../../../helpers/slurm-cluster.js';
import { until } from '../../../helpers/until.js';
import { startK8sApiDouble, type K8sApiDouble } from '../../../helpers/k8s-api-double.js';
import { startKubeletDouble, type KubeletDouble } from '../../../helpers/k8s-kubelet-double.js';
import { goldenCases, goldenPath } from '../../../helpers/k8s-manifest-cases.js';
import { startK8sGlue, type K8sGlueSettings } from '../../../../src-main/engine/glue/k8s/k8s-glue.js';
import type { GlueHandle } from '../../../../src-main/engine/glue/glue-loop.js';
import { agentLabelValue } from '../../../../src-main/engine/glue/k8s/labels.js';

// The k8s glue against the Kubernetes API TEST DOUBLE (no cluster can run here) with a kubelet
// double that runs each pod's command as a local process: the pod's `tray-agent execute` (the
// built bin/tray-agent.js) talks to the real embedded server, so a task really runs to its end.
const bed = useAgentTestBed('k8s-glue');
const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const agentCommand = [process.execPath, join(repoRoot, 'bin', 'tray-agent.js')];

let api: K8sApiDouble;
let kubelet: KubeletDouble;
let podHome = '';
let templates = '';
const holdQueues = new Set<string>();
let glue: GlueHandle | null = null;
let glueLog: string[] = [];

async function template(name: string, body: object): Promise<string> {
  const file = join(templates, name);
  await writeFile(file, JSON.stringify(body));
  return file;
}

async function startGlue(settings: Partial<K8sGlueSettings> & { queues: string[] }): Promise<GlueHandle> {
  glueLog = [];
  glue = await startK8sGlue(
    {
      templateYaml: join(templates, 'plain.yaml'),
      queueTemplates: [],
      namespace: 'clearml',
      maxPods: null,
      kind: 'pod',
      kubeconfig: api.kubeconfig,
      credentialsSecret: 'clearml-agent-credentials',
      agentCommand,
      createQueue: true,
      pollIntervalSec: 0.3,
      configFile: bed.configFile,
      ...settings,
    },
    (level, text) => glueLog.push(`${level} ${text}`),
  );
  return glue;
}

async function stopGlue(): Promise<void> {
  if (!glue) return;
  glue.stop();
  await glue.done;
  glue = null;
}

async function enqueue(queue: string, script: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { id } = await bed.client.tasks.create({ name: `k8s glue test (${queue})`, type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: script }, ...extra } as never);
  await bed.client.tasks.enqueue({ task: id, queueName: queue });
  return id;
}

const task = (id: string) => bed.client.tasks.getById(id);
const ended = (id: string, timeoutMs = 90_000) =>
  until(async () => {
    const t = await task(id);
    return ['completed', 'failed', 'stopped'].includes(String(t.status)) ? t : null;
  }, timeoutMs, () => `task ${id} to end (glue: ${glueLog.join('\n')})`);

async function taskLog(id: string): Promise<string> {
  const { events } = await bed.client.events.getTaskLog({ task: id, batchSize: 1000, order: 'asc' } as never);
  return events.map((e) => e.msg ?? '').join('');
}

const podName = (taskId: string) => `clearml-id-${taskId}`;
const posts = (suffix: string) => api.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix));

beforeAll(async () => {
  await buildCli();
  api = await startK8sApiDouble({ namespaces: ['default', 'clearml', 'research'] });
  // The credentials pods get, as a Secret (the glue only names it in the manifest).
  const secretData = { CLEARML_API_ACCESS_KEY: bed.server.credentials.accessKey, CLEARML_API_SECRET_KEY: bed.server.credentials.secretKey };
  await fetch(`${api.url}/api/v1/namespaces/clearml/secrets`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'clearml-agent-credentials' }, data: Object.fromEntries(Object.entries(secretData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }),
  });
  // What the image would bring: a clearml.conf without credentials (those come from the Secret).
  podHome = join(bed.root, 'pod-home');
  await mkdir(podHome, { recursive: true });
  await writeFile(
    join(podHome, 'clearml.conf'),
    `agent {\n  state_dir: "${join(podHome, 'state')}"\n  spool_dir: "${join(podHome, 'spool')}"\n  venvs_dir: "${join(podHome, 'venvs')}"\n  skip_python_env_install: true\n  abort_poll_interval_sec: 0.2\n  abort_grace_sec: 1\n  task_ping_interval_sec: 0\n}\n`,
  );
  kubelet = startKubeletDouble(api, {
    env: { PATH: process.env['PATH'], HOME: podHome, LANG: 'C.UTF-8' },
    hold: (pod) => holdQueues.has(String(((pod['metadata'] as Record<string, unknown>)['labels'] as Record<string, string>)['clearml-agent-queue-name'])),
  });
  templates = join(bed.root, 'templates');
  await mkdir(templates, { recursive: true });
  await template('plain.yaml', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'task', image: 'python:3.11-slim' }] } });
});

afterEach(async () => {
  await stopGlue();
  holdQueues.clear();
});

afterAll(async () => {
  await kubelet?.stop();
  await api?.close();
});

describe('tray-agent glue k8s (Kubernetes API test double)', () => {
  it('a task becomes pod clearml-id-<task> that runs it to completed; the ended pod is deleted', async () => {
    await startGlue({ queues: ['k8s-a'] });
    const id = await enqueue('k8s-a', 'import os\nprint("hello from a pod", os.environ["CLEARML_TASK_ID"])\n');
    expect((await ended(id)).status).toBe('completed');
    expect(await taskLog(id)).toContain(`hello from a pod ${id}`);
    const [created] = posts('/namespaces/clearml/pods');
    const pod = created!.body as { metadata: { name: string; labels: Record<string, string> }; spec: { restartPolicy: string; containers: Array<{ env: Array<{ name: string; value?: string }>; command: string[]; args: string[] }> } };
    expect(pod.metadata.name).toBe(podName(id));
    expect(pod.metadata.labels).toEqual({ CLEARML: agentLabelValue(workerIdOf(pod)), 'clearml-agent-queue': expect.stringMatching(/^[0-9a-f]{32}$/), 'clearml-agent-queue-name': 'k8s-a' });
    expect(pod.spec.restartPolicy).toBe('Never');
    const env = Object.fromEntries(pod.spec.containers[0]!.env.map((e) => [e.name, e.value ?? '(from secret)']));
    expect(env['CLEARML_TASK_ID']).toBe(id);
    expect(env['CLEARML_WORKER_ID']).toMatch(new RegExp(`:${id}$`));
    expect(env['CLEARML_API_HOST']).toBe(bed.server.url);
    expect(env['CLEARML_API_SECRET_KEY']).toBe('(from secret)');
    expect(pod.spec.containers[0]!.args).toEqual(['execute', '--full-monitoring', '--require-queue', '--id', id]);
    // The secret value never travels in a request the glue makes.
    expect(JSON.stringify(api.requests.filter((r) => !r.path.endsWith('/secrets')))).not.toContain(bed.server.credentials.secretKey);
    await until(() => !api.pod('clearml', podName(id)), 20_000, () => `the ended pod to be deleted (glue: ${glueLog.join('\n')})`);
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path === `/api/v1/namespaces/clearml/pods/${podName(id)}`)).toBe(true);
    // The watch was used (it wakes the loop when a pod changes).
    expect(api.requests.some((r) => r.query['watch'] === 'true')).toBe(true);
  });

  it('per-queue templates: each queue\'s pod carries its own template\'s resources, node selector and env', async () => {
    const gpu = await template('gpu.yaml', {
      apiVersion: 'v1',
      kind: 'Pod',
      spec: {
        nodeSelector: { 'nvidia.com/mig.config': 'all-1g.18gb' },
        containers: [{ name: 'trainer', image: 'pytorch:24', resources: { limits: { 'nvidia.com/mig-1g.18gb': 1 } }, env: [{ name: 'GLUE_TEMPLATE', value: 'gpu' }] }],
      },
    });
    await startGlue({ queues: ['k8s-a', 'k8s-b'], queueTemplates: [{ queue: 'k8s-b', file: gpu }] });
    const onB = await enqueue('k8s-b', 'import os\nprint("template", os.environ.get("GLUE_TEMPLATE"))\n');
    const onA = await enqueue('k8s-a', 'import os\nprint("template", os.environ.get("GLUE_TEMPLATE"), os.environ.get("FROM_TASK_ARGS"))\n', {
      container: { image: 'python:3.11-slim', arguments: '-e FROM_TASK_ARGS=yes --ipc=host' },
    });
    expect((await ended(onB)).status).toBe('completed');
    expect((await ended(onA)).status).toBe('completed');
    expect(await taskLog(onB)).toContain('template gpu');
    expect(await taskLog(onA)).toContain('template None yes');
    expect(await taskLog(onA)).toContain('container arguments not passed to the pod (only -e/--env are): --ipc=host');
    const bodyOf = (id: string) => posts('/pods').find((r) => (r.body as { metadata: { name: string } }).metadata.name === podName(id))!.body as { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } };
    expect(bodyOf(onB).spec['nodeSelector']).toEqual({ 'nvidia.com/mig.config': 'all-1g.18gb' });
    expect(bodyOf(onB).spec.containers[0]!['resources']).toEqual({ limits: { 'nvidia.com/mig-1g.18gb': 1 } });
    expect(bodyOf(onA).spec['nodeSelector']).toBeUndefined();
  });

  it('--kind job: a Job with backoffLimit 0 whose pod runs the task; the Job goes when it ends', async () => {
    await startGlue({ queues: ['k8s-job'], kind: 'job' });
    const id = await enqueue('k8s-job', 'print("from a Job")\n');
    expect((await ended(id)).status).toBe('completed');
    expect(await taskLog(id)).toContain('from a Job');
    const job = posts('/namespaces/clearml/jobs')[0]!.body as { metadata: { name: string }; spec: { backoffLimit: number; template: { spec: { restartPolicy: string } } } };
    expect(job.metadata.name).toBe(podName(id));
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    await until(() => api.jobs('clearml').length === 0 && !api.pods('clearml').some((p) => String((p['metadata'] as { name: string }).name).startsWith(podName(id))), 20_000, () => 'the Job and its pod to be deleted');
  });

  it('keeps the task visibly pending while its pod waits, reports Unschedulable, and abort deletes the pod', async () => {
    holdQueues.add('k8s-wait');
    await startGlue({ queues: ['k8s-wait'] });
    const id = await enqueue('k8s-wait', 'print("must not run")\n');
    await until(() => api.pod('clearml', podName(id)), 30_000, () => `the pod (glue: ${glueLog.join('\n')})`);
    const waiting = await until(async () => {
      const t = await task(id);
      return t.status === 'queued' && String(t.status_message).startsWith(`Kubernetes job ${podName(id)} pending`) ? t : null;
    }, 20_000, () => 'the pending status message');
    const pendingQueue = (await bed.client.queues.getAll({ name: '^k8s_scheduler$', searchHidden: true }))[0]!;
    expect(waiting.execution?.queue).toBe(pendingQueue.id);
    api.unschedulable('clearml', podName(id), '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.');
    await until(async () => String((await task(id)).status_message).includes('Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.'), 20_000, () => 'the Unschedulable reason on the task');
    await bed.client.tasks.stop({ task: id });
    await until(() => !api.pod('clearml', podName(id)), 20_000, () => `the pod to be deleted (glue: ${glueLog.join('\n')})`);
    expect((await task(id)).status).toBe('stopped');
    expect(kubelet.started).not.toContain(podName(id));
  });

  it('ImagePullBackOff: the pod is deleted and the task fails with the reason', async () => {
    holdQueues.add('k8s-pull');
    await startGlue({ queues: ['k8s-pull'] });
    const id = await enqueue('k8s-pull', 'print("x")\n', { container: { image: 'registry.invalid/nope:1' } });
    await until(() => api.pod('clearml', podName(id)), 30_000, () => 'the pod');
    api.schedule('clearml', podName(id));
    api.imagePullBackOff('clearml', podName(id));
    const done = await ended(id);
    expect(done.status).toBe('failed');
    expect(done.status_reason).toBe('Kubernetes cannot start the job');
    expect(done.status_message).toBe(`Kubernetes job ${podName(id)} cannot start: ImagePullBackOff: Back-off pulling image "registry.invalid/nope:1" — the image cannot be pulled; check its name and the registry credentials`);
    await until(() => !api.pod('clearml', podName(id)), 20_000, () => 'the pod to be deleted');
  });

  it('--max-pods: at the limit tasks wait in their queue; a task pulled while the cluster is full goes back to it', async () => {
    holdQueues.add('k8s-max');
    await startGlue({ queues: ['k8s-max'], maxPods: 1 });
    const first = await enqueue('k8s-max', 'print("first")\n');
    await until(() => api.pod('clearml', podName(first)), 30_000, () => 'the first pod');
    const second = await enqueue('k8s-max', 'print("second")\n');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(api.pod('clearml', podName(second))).toBeUndefined();
    const maxQueue = (await bed.client.queues.getAll({ name: '^k8s-max$' }))[0]!;
    expect((await bed.client.queues.getById(maxQueue.id)).entries?.map((e) => e.task)).toEqual([second]);
    holdQueues.clear();
    kubelet.release(podName(first));
    expect((await ended(first)).status).toBe('completed');
    expect((await ended(second)).status).toBe('completed');
    await stopGlue();

    // A pod of this glue that it no longer tracks (an earlier run) still counts against the limit.
    const label = agentLabelValue(workerIdOfLastRun());
    api.createPod('clearml', { metadata: { name: 'clearml-id-ffffffffffffffffffffffffffffffff', labels: { CLEARML: label } }, spec: { containers: [{ name: 'task', image: 'x' }] } });
    api.schedule('clearml', 'clearml-id-ffffffffffffffffffffffffffffffff');
    api.running('clearml', 'clearml-id-ffffffffffffffffffffffffffffffff');
    await startGlue({ queues: ['k8s-max'], maxPods: 1 });
    const third = await enqueue('k8s-max', 'print("third")\n');
    await until(async () => String((await task(third)).status_message).includes('the limit (--max-pods 1) is reached; back in queue k8s-max'), 20_000, () => `the requeue (glue: ${glueLog.join('\n')})`);
    expect((await task(third)).status).toBe('queued');
    expect(api.pod('clearml', podName(third))).toBeUndefined();
    api.terminated('clearml', 'clearml-id-ffffffffffffffffffffffffffffffff', 0);
    expect((await ended(third)).status).toBe('completed');
    // Housekeeping: the ended pod nobody tracks is deleted.
    await until(() => !api.pod('clearml', 'clearml-id-ffffffffffffffffffffffffffffffff'), 20_000, () => 'the untracked ended pod to be deleted');
  });

  it('a glue restarted while its pod waits adopts the pod instead of creating another', async () => {
    holdQueues.add('k8s-restart');
    await startGlue({ queues: ['k8s-restart'] });
    const id = await enqueue('k8s-restart', 'print("adopted and done")\n');
    await until(() => api.pod('clearml', podName(id)), 30_000, () => 'the pod');
    await stopGlue();
    await startGlue({ queues: ['k8s-restart'] });
    await until(() => /adopting 1 job/.test(glueLog.join('\n')), 10_000, () => `the adoption line (glue: ${glueLog.join('\n')})`);
    kubelet.release(podName(id));
    expect((await ended(id)).status).toBe('completed');
    expect(posts('/pods').filter((r) => (r.body as { metadata: { name: string } }).metadata.name === podName(id))).toHaveLength(1);
  });
});

/** The glue's worker id: the default `<name>:k8s-glue` (read back from its first log line). */
function workerIdOfLastRun(): string {
  const line = glueLog.find((l) => l.includes('Kubernetes glue ')) ?? '';
  return /Kubernetes glue (\S+) serving/.exec(line)?.[1] ?? '';
}
function workerIdOf(pod: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } }): string {
  const value = pod.spec.containers[0]!.env.find((e) => e.name === 'CLEARML_WORKER_ID')?.value ?? '';
  return value.slice(0, value.lastIndexOf(':'));
}

describe('tray-agent glue k8s start-up', () => {
  it('warns when pods get no credentials, and refuses a second glue with the same worker id', async () => {
    await startGlue({ queues: ['k8s-a'], credentialsSecret: null });
    await until(() => glueLog.some((l) => l.includes('serving')), 10_000, () => glueLog.join('\n'));
    expect(glueLog.join('\n')).toContain('no --credentials-secret: pods get no ClearML credentials');
    const first = glue;
    await expect(startGlue({ queues: ['k8s-a'] })).rejects.toThrow(/another agent already runs as worker "[^"]+:k8s-glue" on this machine/);
    glue = first;
  });
});

describe('k8s manifests and kubectl', () => {
  it.each(goldenCases)('kubectl apply --dry-run=client --validate=false accepts golden/$golden (against the API double: kubectl needs API discovery even then)', async ({ golden }) => {
    const { stdout } = await execFileAsync('kubectl', ['--kubeconfig', api.kubeconfig, 'apply', '--dry-run=client', '--validate=false', '-f', goldenPath(golden)]);
    const manifest = parse(await readFile(goldenPath(golden), 'utf8')) as { kind: string; metadata: { name: string } };
    expect(stdout.trim()).toBe(`${manifest.kind === 'Job' ? 'job.batch' : 'pod'}/${manifest.metadata.name} created (dry run)`);
  });

  it('--dry-run --task-id prints the manifest and creates nothing', async () => {
    const { id } = await bed.client.tasks.create({ name: 'dry', type: 'training', script: { entry_point: 'job.py', binary: 'python3', diff: 'print(1)\n' } } as never);
    await bed.client.queues.create({ name: 'k8s-dry' });
    const before = api.requests.length;
    const result = await runCliCaptured('--config-file', bed.configFile, 'glue', 'k8s', '--queue', 'k8s-dry', '--template-yaml', join(templates, 'plain.yaml'), '--dry-run', '--task-id', id);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const manifest = parse(result.stdout) as { kind: string; metadata: { name: string; labels: Record<string, string> } };
    expect(manifest.kind).toBe('Pod');
    expect(manifest.metadata.name).toBe(podName(id));
    expect(manifest.metadata.labels['clearml-agent-queue-name']).toBe('k8s-dry');
    expect(api.requests.length).toBe(before);

    // CLEARML_K8S_GLUE_KIND, comma-separated queues and the ignored --overrides-yaml, as clearml-agent takes them.
    await bed.client.queues.create({ name: 'k8s-dry2' });
    process.env['CLEARML_K8S_GLUE_KIND'] = 'job';
    try {
      const asJob = await runCliCaptured('--config-file', bed.configFile, 'glue', 'k8s', '--queue', 'k8s-dry2,k8s-dry', '--template-yaml', join(templates, 'plain.yaml'), '--overrides-yaml', 'o.yaml', '--dry-run', '--task-id', id);
      expect(asJob.code).toBe(0);
      expect(asJob.stderr).toContain('--overrides-yaml is ignored (as in clearml-agent)');
      const job = parse(asJob.stdout) as { kind: string; spec: { backoffLimit: number }; metadata: { labels: Record<string, string> } };
      expect(job.kind).toBe('Job');
      expect(job.spec.backoffLimit).toBe(0);
      expect(job.metadata.labels['clearml-agent-queue-name']).toBe('k8s-dry2');
    } finally {
      delete process.env['CLEARML_K8S_GLUE_KIND'];
    }
  });

  it('bad input: no template, no kubeconfig, a template for a queue it does not serve', async () => {
    const noTemplate = await runCliCaptured('--config-file', bed.configFile, 'glue', 'k8s', '--queue', 'k8s-a');
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toContain('no pod template: pass --template-yaml FILE');
    const env = { ...process.env };
    process.env['KUBECONFIG'] = '';
    process.env['HOME'] = join(bed.root, 'nobody');
    delete process.env['KUBERNETES_SERVICE_HOST'];
    try {
      const noConfig = await runCliCaptured('--config-file', bed.configFile, 'glue', 'k8s', '--queue', 'k8s-a', '--template-yaml', join(templates, 'plain.yaml'));
      expect(noConfig.code).toBe(2);
      expect(noConfig.stderr).toContain('no Kubernetes configuration: pass --kubeconfig FILE');
    } finally {
      process.env['KUBECONFIG'] = env['KUBECONFIG'] ?? '';
      if (env['KUBECONFIG'] === undefined) delete process.env['KUBECONFIG'];
      process.env['HOME'] = env['HOME'];
    }
    const stray = await runCliCaptured('--config-file', bed.configFile, 'glue', 'k8s', '--queue', 'k8s-a', '--queue-template', 'elsewhere=x.yaml', '--kubeconfig', api.kubeconfig);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--queue-template elsewhere=x.yaml: elsewhere is not one of --queue (k8s-a)');
  });
});
