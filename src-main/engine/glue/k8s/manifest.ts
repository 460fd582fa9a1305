// The Pod (or Job) for one task, from its queue's template (reference §7.3 "Template handling"):
// the template's pod spec as written — resources, nodeSelector (MIG profiles, fractional-GPU
// labels), tolerations, volumes — with the glue's name, labels, restart policy, and its first
// container merged with the generated one. Pure: golden-tested per template.
import { splitShellWords } from '../../config/index.js';
import { agentLabelKey, agentLabelValue, objectNameFor, queueIdLabelKey, queueNameLabelKey, safeLabelValue } from './labels.js';

export type GlueKind = 'pod' | 'job';
type Json = Record<string, unknown>;

export interface ManifestInputs {
  /** The parsed template (Pod, Job, or a bare `spec:` document). */
  readonly template: Json;
  readonly templateName: string;
  readonly kind: GlueKind;
  readonly task: { readonly id: string; readonly container?: Readonly<Record<string, string | null | undefined>> | null };
  readonly queue: { readonly id: string; readonly name: string };
  readonly workerId: string;
  /** --namespace; the template's metadata.namespace wins. */
  readonly namespace: string;
  /** agent.default_docker.image, when neither the task nor the template names an image. */
  readonly defaultImage: string;
  /** agent.docker_force_pull → imagePullPolicy Always. */
  readonly forcePull: boolean;
  /** The command the pod starts the agent with (`tray-agent`, or `python3 -m clearml_agent`). */
  readonly agentCommand: readonly string[];
  /** K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT: leave command/args to the image, only set env. */
  readonly useImageEntrypoint: boolean;
  /** The API server the pod's agent talks to (the template's env may say otherwise). */
  readonly apiServer: string;
  readonly filesServer?: string | null;
  /** --credentials-secret: a Secret holding CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY. */
  readonly credentialsSecret: string | null;
}

export interface BuiltManifest {
  readonly manifest: Json;
  readonly namespace: string;
  readonly name: string;
  /** Task container arguments that are not `-e/--env` (Docker flags mean nothing to a pod). */
  readonly droppedArguments: readonly string[];
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** `-e A=1 --env B=2 --env=C=3 --ipc=host` → env A, B, C; `--ipc=host` dropped. */
export function envFromTaskArguments(argumentsText: string | null | undefined): { env: Array<{ name: string; value: string }>; dropped: string[] } {
  const words = splitShellWords(argumentsText ?? '') ?? [];
  const env: Array<{ name: string; value: string }> = [];
  const dropped: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let pair: string | undefined;
    if (word === '-e' || word === '--env') pair = words[++i];
    else if (word.startsWith('--env=')) pair = word.slice('--env='.length);
    else if (/^-e[^-]/.test(word)) pair = word.slice(2);
    else {
      dropped.push(word);
      continue;
    }
    const eq = pair?.indexOf('=') ?? -1;
    if (pair && eq > 0) env.push({ name: pair.slice(0, eq), value: pair.slice(eq + 1) });
    else if (pair) dropped.push(`${word} ${pair}`);
  }
  return { env, dropped };
}

/** The pod template of any accepted template shape. */
function podTemplateOf(template: Json, templateName: string): { metadata: Json; spec: Json } {
  const kind = typeof template['kind'] === 'string' ? template['kind'] : null;
  if (kind === 'Job') {
    const jobSpec = template['spec'];
    const podTemplate = isObject(jobSpec) ? jobSpec['template'] : undefined;
    if (!isObject(podTemplate) || !isObject(podTemplate['spec'])) throw new ManifestError(`${templateName}: a Job template needs spec.template.spec (the pod spec)`);
    return { metadata: isObject(podTemplate['metadata']) ? clone(podTemplate['metadata']) : {}, spec: clone(podTemplate['spec']) };
  }
  if (kind !== null && kind !== 'Pod') throw new ManifestError(`${templateName}: kind ${kind} is not a Pod or a Job template`);
  const spec = template['spec'];
  if (!isObject(spec)) throw new ManifestError(`${templateName}: no spec: give a pod spec (spec.containers …)`);
  return { metadata: isObject(template['metadata']) ? clone(template['metadata']) : {}, spec: clone(spec) };
}

type EnvVar = { name: string; value?: string; valueFrom?: Json };

/** Env by name: `later` entries replace earlier ones of the same name, order kept. */
function mergeEnv(earlier: EnvVar[], later: EnvVar[]): EnvVar[] {
  const merged = new Map<string, EnvVar>();
  for (const entry of [...earlier, ...later]) merged.set(entry.name, entry);
  return [...merged.values()];
}

export function buildManifest(inputs: ManifestInputs): BuiltManifest {
  const { task, queue, templateName } = inputs;
  const name = objectNameFor(task.id);
  const pod = podTemplateOf(inputs.template, templateName);
  const templateMeta = isObject(inputs.template['metadata']) ? inputs.template['metadata'] : {};
  const namespace = typeof templateMeta['namespace'] === 'string' && templateMeta['namespace'] ? templateMeta['namespace'] : inputs.namespace;

  const containers = Array.isArray(pod.spec['containers']) ? (pod.spec['containers'] as unknown[]) : [];
  const first: Json = isObject(containers[0]) ? (containers[0] as Json) : {};
  const image = String(task.container?.['image'] ?? '').trim() || (typeof first['image'] === 'string' && first['image'].trim()) || inputs.defaultImage.trim();
  if (!image) throw new ManifestError(`${templateName}: no image: set the task's container image, the template's, or agent.default_docker.image`);

  const { env: taskEnv, dropped } = envFromTaskArguments(task.container?.['arguments']);
  const templateEnv = Array.isArray(first['env']) ? (first['env'] as EnvVar[]) : [];
  // Where the agent finds the server: ours unless the template says otherwise (an in-cluster address).
  const serverEnv: EnvVar[] = [
    { name: 'CLEARML_API_HOST', value: inputs.apiServer },
    ...(inputs.filesServer ? [{ name: 'CLEARML_FILES_HOST', value: inputs.filesServer }] : []),
    ...(inputs.credentialsSecret
      ? ['CLEARML_API_ACCESS_KEY', 'CLEARML_API_SECRET_KEY'].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: inputs.credentialsSecret, key } } }))
      : []),
  ];
  // Who the pod's agent is: always the glue's say.
  const identityEnv: EnvVar[] = [
    { name: 'CLEARML_WORKER_ID', value: `${inputs.workerId}:${task.id}` },
    { name: 'CLEARML_TASK_ID', value: task.id },
  ];
  const env = mergeEnv(mergeEnv(mergeEnv(serverEnv, templateEnv), taskEnv), identityEnv);

  const container: Json = { ...clone(first), name: typeof first['name'] === 'string' && first['name'] ? first['name'] : 'clearml-task', image, env };
  if (inputs.forcePull) container['imagePullPolicy'] = 'Always';
  if (!inputs.useImageEntrypoint) {
    container['command'] = [...inputs.agentCommand];
    container['args'] = ['execute', '--full-monitoring', '--require-queue', '--id', task.id];
  }

  const glueLabels: Json = {
    [agentLabelKey]: agentLabelValue(inputs.workerId),
    [queueIdLabelKey]: safeLabelValue(queue.id),
    [queueNameLabelKey]: safeLabelValue(queue.name),
  };
  const labels: Json = { ...(isObject(pod.metadata['labels']) ? pod.metadata['labels'] : {}), ...glueLabels };
  const podSpec: Json = { ...pod.spec, restartPolicy: 'Never', containers: [container, ...containers.slice(1).map(clone)] };

  if (inputs.kind === 'pod') {
    const annotations = isObject(templateMeta['annotations']) ? { annotations: clone(templateMeta['annotations']) } : {};
    return {
      manifest: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels, ...annotations }, spec: podSpec },
      namespace,
      name,
      droppedArguments: dropped,
    };
  }
  const jobSpec = inputs.template['kind'] === 'Job' && isObject(inputs.template['spec']) ? clone(inputs.template['spec']) : {};
  delete jobSpec['template'];
  const jobMeta = inputs.template['kind'] === 'Job' ? templateMeta : {};
  return {
    manifest: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace,
        labels: { ...(isObject(jobMeta['labels']) ? jobMeta['labels'] : {}), ...glueLabels },
        ...(isObject(jobMeta['annotations']) ? { annotations: clone(jobMeta['annotations']) } : {}),
      },
      // backoffLimit 0: a failed task is not run again behind the user's back.
      spec: { ...jobSpec, backoffLimit: 0, template: { metadata: { ...(isObject(pod.metadata['annotations']) ? { annotations: clone(pod.metadata['annotations']) } : {}), labels }, spec: podSpec } },
    },
    namespace,
    name,
    droppedArguments: dropped,
  };
}
