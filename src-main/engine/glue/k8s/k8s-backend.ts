// Kubernetes behind the glue loop, through @kubernetes/client-node: a task becomes a Pod (or a
// Job) named clearml-id-<task>; one labelled list per namespace per pass tells every job's
// state, a watch on the same label wakes the loop when a pod changes, ended pods are deleted.
import { BatchV1Api, CoreV1Api, Watch, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import type { QueueRef } from '../../daemon/daemon-api.js';
import type { GlueTask } from '../glue-api.js';
import type { SchedulerJobEntry } from '../job-registry.js';
import { JobRejectedError, SchedulerUnavailableError, type JobObservation, type PreparedJob, type SchedulerBackend } from '../scheduler-backend.js';
import { buildManifest, ManifestError, type GlueKind } from './manifest.js';
import { agentLabelKey, agentLabelValue, objectNameFor, taskIdFromObjectName } from './labels.js';
import { observePod } from './pod-observation.js';

export interface K8sTemplate {
  readonly name: string;
  readonly document: Record<string, unknown>;
}

export interface K8sBackendOptions {
  readonly kubeConfig: KubeConfig;
  /** Queue id → its template. */
  readonly templates: ReadonlyMap<string, K8sTemplate>;
  readonly kind: GlueKind;
  readonly namespace: string;
  readonly workerId: string;
  readonly defaultImage: string;
  readonly forcePull: boolean;
  readonly agentCommand: readonly string[];
  readonly useImageEntrypoint: boolean;
  readonly apiServer: string;
  readonly filesServer: string | null;
  readonly credentialsSecret: string | null;
  /** Something changed in the cluster: look again now. */
  readonly onChange?: () => void;
}

export interface K8sPreparedJob extends PreparedJob {
  readonly manifest: Record<string, unknown>;
  readonly namespace: string;
  readonly name: string;
}

interface ApiFailure {
  code?: number;
  body?: unknown;
  message?: string;
}

/** The Status message the API server answered with, else the error's own words. */
export function k8sErrorText(error: unknown): string {
  const failure = error as ApiFailure;
  let body = failure.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  if (typeof body === 'string' && body.trim()) return body.trim();
  return failure.message ?? String(error);
}

const codeOf = (error: unknown): number | undefined => (error as ApiFailure).code;

export function createK8sBackend(options: K8sBackendOptions): SchedulerBackend<K8sPreparedJob> & { stopWatching(): void } {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const batch = options.kubeConfig.makeApiClient(BatchV1Api);
  const labelSelector = `${agentLabelKey}=${agentLabelValue(options.workerId)}`;
  const namespaceOf = (queueId: string): string => {
    const template = options.templates.get(queueId);
    const ns = (template?.document['metadata'] as { namespace?: unknown } | undefined)?.namespace;
    return typeof ns === 'string' && ns ? ns : options.namespace;
  };
  const namespaces = (): string[] => [...new Set([options.namespace, ...[...options.templates.keys()].map(namespaceOf)])];
  const unavailable = (what: string, error: unknown): SchedulerUnavailableError => new SchedulerUnavailableError(`Kubernetes ${what}: ${k8sErrorText(error)}`);

  /** Which task a listed pod runs: its own name (kind pod) or its Job's name. */
  const taskOfPod = (pod: V1Pod): string | null => {
    const labels = pod.metadata?.labels ?? {};
    const owner = labels['job-name'] ?? labels['batch.kubernetes.io/job-name'];
    return taskIdFromObjectName(owner ?? pod.metadata?.name ?? '');
  };

  const listPods = async (namespace: string): Promise<V1Pod[]> => {
    try {
      return (await core.listNamespacedPod({ namespace, labelSelector })).items;
    } catch (error) {
      throw unavailable(`listing pods in ${namespace}`, error);
    }
  };

  const deleteObject = async (namespace: string, name: string): Promise<void> => {
    try {
      if (options.kind === 'job') await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
      else await core.deleteNamespacedPod({ namespace, name });
    } catch (error) {
      if (codeOf(error) !== 404) throw unavailable(`deleting ${name}`, error);
    }
  };

  // Watches only make the loop look sooner; the list of each pass stays the truth.
  const watches: AbortController[] = [];
  let watching = true;
  const watchNamespace = (namespace: string): void => {
    if (!options.onChange || !watching) return;
    const restart = (): void => {
      if (watching) setTimeout(() => watchNamespace(namespace), 2_000).unref();
    };
    new Watch(options.kubeConfig)
      .watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector }, () => options.onChange?.(), restart)
      .then((controller) => (watching ? watches.push(controller) : controller.abort()), restart);
  };
  for (const namespace of namespaces()) watchNamespace(namespace);

  return {
    scheduler: 'k8s',
    displayName: 'Kubernetes',

    async prepare(task: GlueTask, queue: QueueRef) {
      const template = options.templates.get(queue.id);
      if (!template) throw new JobRejectedError('Kubernetes glue: no template', `no pod template for queue ${queue.name}: pass --template-yaml or --queue-template ${queue.name}=FILE`);
      try {
        const built = buildManifest({
          template: template.document,
          templateName: template.name,
          kind: options.kind,
          task: { id: task.id, container: task.container ?? null },
          queue,
          workerId: options.workerId,
          namespace: options.namespace,
          defaultImage: options.defaultImage,
          forcePull: options.forcePull,
          agentCommand: options.agentCommand,
          useImageEntrypoint: options.useImageEntrypoint,
          apiServer: options.apiServer,
          filesServer: options.filesServer,
          credentialsSecret: options.credentialsSecret,
        });
        const dropped = built.droppedArguments.length ? `; container arguments not passed to the pod (only -e/--env are): ${built.droppedArguments.join(' ')}` : '';
        return { taskId: task.id, manifest: built.manifest, namespace: built.namespace, name: built.name, summary: `${options.kind} ${built.namespace}/${built.name} from ${template.name}${dropped}` };
      } catch (error) {
        if (error instanceof ManifestError) throw new JobRejectedError('Kubernetes glue: template error', error.message);
        throw error;
      }
    },

    async submit(job) {
      const create = async (): Promise<void> => {
        if (options.kind === 'job') await batch.createNamespacedJob({ namespace: job.namespace, body: job.manifest as V1Job });
        else await core.createNamespacedPod({ namespace: job.namespace, body: job.manifest as V1Pod });
      };
      try {
        await create();
      } catch (error) {
        const code = codeOf(error);
        if (code === 409) {
          // A finished pod of an earlier run of the task still has the name: it goes, this one comes.
          await deleteObject(job.namespace, job.name);
          await new Promise((r) => setTimeout(r, 1_000));
          try {
            await create();
            return job.name;
          } catch (retryError) {
            throw new JobRejectedError('Kubernetes refused the pod', `Kubernetes refused ${job.name}: ${k8sErrorText(retryError)}`);
          }
        }
        if (code !== undefined && code >= 400 && code < 500) throw new JobRejectedError('Kubernetes refused the pod', `Kubernetes refused ${job.name}: ${k8sErrorText(error)}`);
        throw unavailable(`creating ${job.name}`, error);
      }
      return job.name;
    },

    async findJob(taskId) {
      const name = objectNameFor(taskId);
      for (const namespace of namespaces()) {
        const pods = await listPods(namespace);
        const pod = pods.find((p) => taskOfPod(p) === taskId);
        if (pod) {
          const seen = observePod(pod as unknown as Record<string, unknown>);
          if (seen.phase === 'pending' || seen.phase === 'running') return name;
        }
      }
      return null;
    },

    async observe(entries: readonly SchedulerJobEntry[]) {
      const observations = new Map<string, JobObservation>();
      const ours = new Set(entries.map((e) => e.taskId));
      const podsByTask = new Map<string, V1Pod>();
      const jobsByTask = new Map<string, V1Job>();
      for (const namespace of namespaces()) {
        for (const pod of await listPods(namespace)) {
          const taskId = taskOfPod(pod);
          if (!taskId) continue;
          if (!ours.has(taskId)) {
            // Housekeeping: an ended pod of this glue that no entry tracks (a lost registry).
            if (observePod(pod as unknown as Record<string, unknown>).phase === 'ended') await deleteObject(namespace, objectNameFor(taskId)).catch(() => undefined);
            continue;
          }
          const previous = podsByTask.get(taskId);
          // A Job may have left an older pod: the newest one speaks for it.
          if (!previous || String(pod.metadata?.creationTimestamp ?? '') >= String(previous.metadata?.creationTimestamp ?? '')) podsByTask.set(taskId, pod);
        }
        if (options.kind === 'job') {
          try {
            for (const job of (await batch.listNamespacedJob({ namespace, labelSelector })).items) {
              const taskId = taskIdFromObjectName(job.metadata?.name ?? '');
              if (taskId) jobsByTask.set(taskId, job);
            }
          } catch (error) {
            throw unavailable(`listing Jobs in ${namespace}`, error);
          }
        }
      }
      for (const entry of entries) {
        const pod = podsByTask.get(entry.taskId);
        if (pod) {
          observations.set(entry.taskId, observePod(pod as unknown as Record<string, unknown>));
          continue;
        }
        const job = jobsByTask.get(entry.taskId);
        if (job) {
          if ((job.status?.failed ?? 0) > 0) observations.set(entry.taskId, { phase: 'ended', state: 'Failed', detail: 'the Job failed' });
          else if ((job.status?.succeeded ?? 0) > 0) observations.set(entry.taskId, { phase: 'ended', state: 'Succeeded', detail: '' });
          else observations.set(entry.taskId, { phase: 'pending', reason: 'Job created, its pod not yet', never: null });
          continue;
        }
        observations.set(entry.taskId, { phase: 'gone' });
      }
      return observations;
    },

    async cancel(entry) {
      if (entry.jobId) await deleteObject(namespaceOf(entry.queueId), entry.jobId);
    },

    async cleanup(entry) {
      if (entry.jobId) await deleteObject(namespaceOf(entry.queueId), entry.jobId);
    },

    async outputTail(entry) {
      // Why a pod ended before its agent started (no tray-agent in the image, a bad command).
      const namespace = namespaceOf(entry.queueId);
      const pod = (await listPods(namespace)).find((p) => taskOfPod(p) === entry.taskId);
      if (!pod?.metadata?.name) return [];
      try {
        const text = await core.readNamespacedPodLog({ namespace, name: pod.metadata.name, tailLines: 20 });
        return String(text).split('\n').filter((l) => l.trim() !== '');
      } catch {
        return [];
      }
    },

    async countActive() {
      let active = 0;
      for (const namespace of namespaces()) {
        for (const pod of await listPods(namespace)) {
          const phase = observePod(pod as unknown as Record<string, unknown>).phase;
          if (phase === 'pending' || phase === 'running') active++;
        }
      }
      return active;
    },

    stopWatching() {
      watching = false;
      for (const controller of watches.splice(0)) controller.abort();
    },
  };
}
