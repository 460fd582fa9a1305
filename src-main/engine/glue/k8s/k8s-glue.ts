// `tray-agent glue k8s`: reads the pod templates (one for all queues, or one per queue), loads
// the kubeconfig (file, or in-cluster), and starts the glue loop with the Kubernetes backend —
// or, with --dry-run, prints one task's manifest and stops.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import type { QueueRef } from '../../daemon/daemon-api.js';
import { connectGlue, glueWorkerId, openGlueSession, startSessionLoop, GlueSetupError, type GlueConnection } from '../glue-setup.js';
import type { GlueHandle, GlueLogLevel } from '../glue-loop.js';
import { JobRejectedError } from '../scheduler-backend.js';
import { createK8sBackend, type K8sTemplate } from './k8s-backend.js';
import type { GlueKind } from './manifest.js';

export interface K8sGlueSettings {
  readonly queues: readonly string[];
  /** --template-yaml: for every queue without its own. */
  readonly templateYaml: string | null;
  /** --queue-template q=file. */
  readonly queueTemplates: ReadonlyArray<{ readonly queue: string; readonly file: string }>;
  readonly namespace: string;
  readonly maxPods: number | null;
  readonly kind: GlueKind;
  readonly kubeconfig: string | null;
  readonly credentialsSecret: string | null;
  readonly agentCommand: readonly string[];
  readonly createQueue: boolean;
  readonly pollIntervalSec: number;
  readonly configFile?: string;
  readonly env?: Record<string, string | undefined>;
}

export const defaultK8sPendingQueue = 'k8s_scheduler';

export async function readK8sTemplate(file: string): Promise<K8sTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new GlueSetupError(`pod template ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  if (list.length !== 1) throw new GlueSetupError(`pod template ${file}: holds ${list.length} YAML documents; give one Pod or Job`);
  const doc = list[0]!;
  if (doc.errors.length > 0) throw new GlueSetupError(`pod template ${file}: ${doc.errors[0]!.message}`);
  const value = doc.toJS() as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GlueSetupError(`pod template ${file}: expected a mapping (apiVersion, kind, metadata, spec)`);
  return { name: basename(file), document: value as Record<string, unknown> };
}

/** Queue id → template: its own (--queue-template name=file), else --template-yaml. */
export async function pairK8sTemplates(queues: readonly QueueRef[], settings: Pick<K8sGlueSettings, 'templateYaml' | 'queueTemplates'>): Promise<Map<string, K8sTemplate>> {
  const shared = settings.templateYaml ? await readK8sTemplate(settings.templateYaml) : null;
  const own = new Map<string, K8sTemplate>();
  for (const { queue, file } of settings.queueTemplates) {
    const ref = queues.find((q) => q.name === queue || q.id === queue);
    if (!ref) throw new GlueSetupError(`--queue-template ${queue}=${file}: ${queue} is not one of --queue (${queues.map((q) => q.name).join(', ')})`);
    own.set(ref.id, await readK8sTemplate(file));
  }
  const templates = new Map<string, K8sTemplate>();
  for (const queue of queues) {
    const template = own.get(queue.id) ?? shared;
    if (!template) throw new GlueSetupError(`queue ${queue.name} has no pod template: pass --template-yaml FILE, or --queue-template ${queue.name}=FILE`);
    templates.set(queue.id, template);
  }
  return templates;
}

/** --kubeconfig, else $KUBECONFIG or ~/.kube/config, else the pod's service account (in-cluster). */
export function loadKubeConfig(kubeconfig: string | null, env: Record<string, string | undefined> = process.env): KubeConfig {
  const config = new KubeConfig();
  try {
    if (kubeconfig) config.loadFromFile(kubeconfig);
    else if (env['KUBECONFIG'] || existsSync(join(env['HOME'] ?? homedir(), '.kube', 'config'))) config.loadFromDefault();
    else if (env['KUBERNETES_SERVICE_HOST']) config.loadFromCluster();
    else throw new GlueSetupError('no Kubernetes configuration: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run the glue inside the cluster');
  } catch (error) {
    if (error instanceof GlueSetupError) throw error;
    throw new GlueSetupError(`${kubeconfig ? `--kubeconfig ${kubeconfig}` : 'the Kubernetes configuration'}: ${(error as Error).message}`);
  }
  if (!config.getCurrentCluster()) throw new GlueSetupError(`${kubeconfig ?? 'the kubeconfig'} names no current cluster (current-context)`);
  return config;
}

function truthy(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test((value ?? '').trim());
}

function backendOptions(settings: K8sGlueSettings, connection: GlueConnection, templates: Map<string, K8sTemplate>, workerId: string, kubeConfig: KubeConfig) {
  const { config } = connection;
  const env = settings.env ?? process.env;
  return {
    kubeConfig,
    templates,
    kind: settings.kind,
    namespace: settings.namespace,
    workerId,
    defaultImage: config.agent.defaultDocker.image,
    forcePull: config.agent.dockerForcePull,
    agentCommand: settings.agentCommand,
    useImageEntrypoint: truthy(env['K8S_GLUE_POD_USE_IMAGE_ENTRYPOINT']),
    apiServer: config.api.apiServer ?? '',
    filesServer: config.api.filesServer || null,
    credentialsSecret: settings.credentialsSecret,
  };
}

/** --dry-run: the manifest the glue would create for this task, as YAML; creates nothing. */
export async function renderK8sDryRun(settings: K8sGlueSettings, taskId: string): Promise<string> {
  const connection = await connectGlue({ configFile: settings.configFile });
  const queues = await connection.api.resolveQueues(settings.queues, { create: false });
  const templates = await pairK8sTemplates(queues, settings);
  const task = await connection.api.getTask(taskId);
  const queue = queues.find((q) => q.id === task.execution?.queue) ?? queues[0]!;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser({ name: 'dry-run', server: 'http://127.0.0.1:1', skipTLSVerify: true }, { name: 'dry-run' });
  const backend = createK8sBackend(backendOptions(settings, connection, templates, glueWorkerId(connection.config, 'k8s', settings.env), kubeConfig));
  try {
    return stringify((await backend.prepare(task, queue)).manifest);
  } catch (error) {
    if (error instanceof JobRejectedError) throw new Error(error.message, { cause: error });
    throw error;
  } finally {
    backend.stopWatching();
  }
}

export async function startK8sGlue(settings: K8sGlueSettings, log: (level: GlueLogLevel, text: string) => void): Promise<GlueHandle> {
  const kubeConfig = loadKubeConfig(settings.kubeconfig, settings.env);
  const connection = await connectGlue({ configFile: settings.configFile, log: (text) => log('warn', text) });
  const session = await openGlueSession(connection, {
    scheduler: 'k8s',
    queues: settings.queues,
    createQueue: settings.createQueue,
    pendingQueueName: defaultK8sPendingQueue,
    pendingQueueTag: 'k8s-glue',
  });
  let backend: ReturnType<typeof createK8sBackend> | null = null;
  try {
    const templates = await pairK8sTemplates(session.queues, settings);
    if (!settings.credentialsSecret) log('warn', 'no --credentials-secret: pods get no ClearML credentials unless their template\'s env has them (CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY)');
    let wake = (): void => undefined;
    backend = createK8sBackend({ ...backendOptions(settings, connection, templates, session.workerId, kubeConfig), onChange: () => wake() });
    const handle = startSessionLoop(connection, session, { backend, maxJobsPerQueue: null, maxTotalJobs: settings.maxPods, pollIntervalSec: settings.pollIntervalSec, log });
    wake = () => handle.wake();
    const watching = backend;
    return {
      stop: () => handle.stop(),
      wake: () => handle.wake(),
      done: handle.done.finally(async () => {
        watching.stopWatching();
        await session.lock.release();
      }),
    };
  } catch (error) {
    backend?.stopWatching();
    await session.lock.release();
    throw error;
  }
}
