// TEST DOUBLE of the Kubernetes API server. No cluster can run on our machines, so the k8s glue
// is tested against this HTTP server, which answers the calls the glue and kubectl make with
// the JSON a real API server (v1.29) answers them with — shapes recorded from the API reference
// and real clusters: discovery (/api, /apis, resource lists), Pods, Jobs and Secrets with
// create / get / list (labelSelector) / delete / watch (?watch=true, one JSON event per line),
// pod logs, and `Status` objects for 404 / 409 / 422. It does not schedule or run anything by
// itself: tests play scheduler and kubelet with the methods below (kubelet-double.ts runs a pod's
// command as a local process).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Json = Record<string, unknown>;
type Kind = 'pods' | 'jobs' | 'secrets';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface K8sApiDouble {
  url: string;
  /** A kubeconfig pointing at the double (current-context set). */
  kubeconfig: string;
  requests: RecordedRequest[];
  pods(namespace?: string): Json[];
  jobs(namespace?: string): Json[];
  pod(namespace: string, name: string): Json | undefined;
  secret(namespace: string, name: string): Json | undefined;
  /** The scheduler placed the pod: PodScheduled True, containers ContainerCreating. */
  schedule(namespace: string, name: string, node?: string): void;
  unschedulable(namespace: string, name: string, message: string): void;
  imagePullBackOff(namespace: string, name: string, image?: string): void;
  running(namespace: string, name: string): void;
  /** Container exited: Succeeded on 0, Failed otherwise; a Job's counts follow. */
  terminated(namespace: string, name: string, exitCode: number, reason?: string): void;
  appendLog(namespace: string, name: string, text: string): void;
  /** Creates a pod as some other client would (another glue). */
  createPod(namespace: string, pod: Json): Json;
  onPodAdded(listener: (pod: Json) => void): void;
  onPodDeleted(listener: (pod: Json) => void): void;
  close(): Promise<void>;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function status(code: number, reason: string, message: string, details: Json = {}): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && (labels ?? {})[key] === value;
  });
}

const resourceLists: Record<string, Json> = {
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'] },
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
      { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] },
    ],
  },
  '/apis/batch/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'batch/v1',
    resources: [{ name: 'jobs', singularName: 'job', namespaced: true, kind: 'Job', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], categories: ['all'] }],
  },
};

export async function startK8sApiDouble(options: { namespaces?: string[] } = {}): Promise<K8sApiDouble> {
  const namespaces = new Set(options.namespaces ?? ['default', 'clearml']);
  const store: Record<Kind, Map<string, Json>> = { pods: new Map(), jobs: new Map(), secrets: new Map() };
  const logs = new Map<string, string>();
  const watchers = new Set<{ kind: Kind; namespace: string; selector?: string; res: ServerResponse }>();
  const podListeners: Array<(pod: Json) => void> = [];
  const deleteListeners: Array<(pod: Json) => void> = [];
  const requests: RecordedRequest[] = [];
  let resourceVersion = 1000;
  const key = (namespace: string, name: string): string => `${namespace}/${name}`;
  const meta = (o: Json): Json => o['metadata'] as Json;

  const emit = (kind: Kind, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Json): void => {
    const m = meta(object);
    for (const w of watchers) {
      if (w.kind !== kind || w.namespace !== m['namespace'] || !matchesSelector(m['labels'] as Record<string, string>, w.selector)) continue;
      w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  };

  const bump = (object: Json): void => {
    meta(object)['resourceVersion'] = String(++resourceVersion);
  };

  const putPod = (namespace: string, pod: Json): Json => {
    const m = meta(pod);
    Object.assign(m, { namespace, uid: randomUUID(), creationTimestamp: now(), resourceVersion: String(++resourceVersion) });
    pod['apiVersion'] = 'v1';
    pod['kind'] = 'Pod';
    const spec = pod['spec'] as Json;
    spec['restartPolicy'] ??= 'Always';
    spec['dnsPolicy'] ??= 'ClusterFirst';
    spec['schedulerName'] ??= 'default-scheduler';
    pod['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
    store.pods.set(key(namespace, String(m['name'])), pod);
    emit('pods', 'ADDED', pod);
    for (const listener of podListeners) listener(pod);
    return pod;
  };

  const updatePod = (namespace: string, name: string, change: (pod: Json) => void): void => {
    const pod = store.pods.get(key(namespace, name));
    if (!pod) throw new Error(`test double: no pod ${namespace}/${name}`);
    change(pod);
    bump(pod);
    emit('pods', 'MODIFIED', pod);
    const jobName = (meta(pod)['labels'] as Record<string, string> | undefined)?.['job-name'];
    const job = jobName ? store.jobs.get(key(namespace, jobName)) : undefined;
    const phase = (pod['status'] as Json)['phase'];
    if (job && (phase === 'Succeeded' || phase === 'Failed' || phase === 'Running')) {
      const s = (job['status'] ??= {}) as Json;
      if (phase === 'Running') s['active'] = 1;
      else {
        delete s['active'];
        s[phase === 'Succeeded' ? 'succeeded' : 'failed'] = 1;
        s['conditions'] = [{ type: phase === 'Succeeded' ? 'Complete' : 'Failed', status: 'True', lastProbeTime: now(), lastTransitionTime: now(), ...(phase === 'Failed' ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' } : {}) }];
        s['completionTime'] = now();
      }
      bump(job);
      emit('jobs', 'MODIFIED', job);
    }
  };

  const containerNames = (pod: Json): string[] => ((pod['spec'] as Json)['containers'] as Json[]).map((c) => String(c['name']));
  const images = (pod: Json): string[] => ((pod['spec'] as Json)['containers'] as Json[]).map((c) => String(c['image']));

  /** Field checks a real API server makes on create (the ones a glue manifest could break). */
  const invalid = (kind: 'Pod' | 'Job', object: Json): string | null => {
    const m = object['metadata'] as Json | undefined;
    const name = String(m?.['name'] ?? '');
    if (!name) return `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`;
    if (name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) return `${kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`;
    for (const [k, v] of Object.entries((m?.['labels'] as Record<string, string>) ?? {})) {
      if (String(v).length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(String(v))) return `${kind} "${name}" is invalid: metadata.labels: Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (label ${k})`;
    }
    const podSpec = kind === 'Pod' ? (object['spec'] as Json | undefined) : (((object['spec'] as Json | undefined)?.['template'] as Json | undefined)?.['spec'] as Json | undefined);
    const prefix = kind === 'Pod' ? 'spec' : 'spec.template.spec';
    const containers = podSpec?.['containers'];
    if (!Array.isArray(containers) || containers.length === 0) return `${kind} "${name}" is invalid: ${prefix}.containers: Required value`;
    for (const [i, c] of (containers as Json[]).entries()) {
      if (!c['name']) return `${kind} "${name}" is invalid: ${prefix}.containers[${i}].name: Required value`;
      if (!c['image']) return `${kind} "${name}" is invalid: ${prefix}.containers[${i}].image: Required value`;
    }
    if (kind === 'Job' && !['Never', 'OnFailure'].includes(String(podSpec?.['restartPolicy']))) return `Job.batch "${name}" is invalid: ${prefix}.restartPolicy: Required value: valid values: "OnFailure", "Never"`;
    return null;
  };

  const send = (res: ServerResponse, code: number, body: Json | string): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        try {
          resolve(text ? JSON.parse(text) : undefined);
        } catch {
          resolve(text);
        }
      });
    });

  const list = (kind: Kind, namespace: string, selector?: string): Json[] =>
    [...store[kind].values()].filter((o) => meta(o)['namespace'] === namespace && matchesSelector(meta(o)['labels'] as Record<string, string>, selector));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const body = await readBody(req);
    const path = url.pathname;
    requests.push({ method: req.method ?? 'GET', path, query, body });
    if (req.method === 'GET' && path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: String(req.headers.host) }] });
    if (req.method === 'GET' && path === '/apis') {
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'batch', versions: [{ groupVersion: 'batch/v1', version: 'v1' }], preferredVersion: { groupVersion: 'batch/v1', version: 'v1' } }] });
    }
    if (req.method === 'GET' && path === '/version') return send(res, 200, { major: '1', minor: '29', gitVersion: 'v1.29.0-testdouble', platform: 'linux/amd64' });
    if (req.method === 'GET' && resourceLists[path]) return send(res, 200, resourceLists[path]!);
    const nsMatch = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && nsMatch) {
      const ns = nsMatch[1]!;
      if (!namespaces.has(ns)) return send(res, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
      return send(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }

    const m = /^\/(?:api\/v1|apis\/batch\/v1)\/namespaces\/([^/]+)\/(pods|jobs|secrets)(?:\/([^/]+))?(\/log)?$/.exec(path);
    if (!m) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, namespace, kind, name, logSuffix] = m as unknown as [string, string, Kind, string | undefined, string | undefined];
    const singular = kind.slice(0, -1);
    const group = kind === 'jobs' ? 'jobs.batch' : kind;
    if (!namespaces.has(namespace)) return send(res, 404, status(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));

    if (req.method === 'GET' && !name) {
      const items = list(kind, namespace, query['labelSelector']);
      if (query['watch'] === 'true' || query['watch'] === '1') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        // Without a resourceVersion a watch starts with an ADDED event per existing object.
        for (const item of items) res.write(`${JSON.stringify({ type: 'ADDED', object: item })}\n`);
        const watcher = { kind, namespace, selector: query['labelSelector'], res };
        watchers.add(watcher);
        req.on('close', () => watchers.delete(watcher));
        return;
      }
      const listKind = kind === 'pods' ? 'PodList' : kind === 'jobs' ? 'JobList' : 'SecretList';
      return send(res, 200, { kind: listKind, apiVersion: kind === 'jobs' ? 'batch/v1' : 'v1', metadata: { resourceVersion: String(resourceVersion) }, items });
    }
    if (req.method === 'GET' && name) {
      const object = store[kind].get(key(namespace, name));
      if (!object) return send(res, 404, status(404, 'NotFound', `${group} "${name}" not found`, { name, kind }));
      if (logSuffix) return send(res, 200, (logs.get(key(namespace, name)) ?? '').split('\n').slice(-(Number(query['tailLines'] ?? 1e9) + 1)).join('\n'));
      return send(res, 200, object);
    }
    if (req.method === 'POST' && !name) {
      const object = structuredClone(body) as Json;
      const objectName = String((object?.['metadata'] as Json | undefined)?.['name'] ?? '');
      if (store[kind].has(key(namespace, objectName))) return send(res, 409, status(409, 'AlreadyExists', `${group} "${objectName}" already exists`, { name: objectName, kind }));
      if (kind === 'pods' || kind === 'jobs') {
        const problem = invalid(kind === 'pods' ? 'Pod' : 'Job', object);
        if (problem) return send(res, 422, status(422, 'Invalid', problem, { name: objectName, kind }));
      }
      if (query['dryRun'] === 'All') return send(res, 201, object);
      if (kind === 'pods') return send(res, 201, putPod(namespace, object));
      const om = object['metadata'] as Json;
      Object.assign(om, { namespace, uid: randomUUID(), creationTimestamp: now(), resourceVersion: String(++resourceVersion) });
      if (kind === 'secrets') {
        object['apiVersion'] = 'v1';
        object['kind'] = 'Secret';
        store.secrets.set(key(namespace, objectName), object);
        return send(res, 201, object);
      }
      object['apiVersion'] = 'batch/v1';
      object['kind'] = 'Job';
      object['status'] = { startTime: now(), active: 0 };
      store.jobs.set(key(namespace, objectName), object);
      emit('jobs', 'ADDED', object);
      // The Job controller makes the pod: `<job>-<5 chars>`, labelled with the job's name.
      const template = structuredClone((object['spec'] as Json)['template']) as Json;
      const templateMeta = (template['metadata'] ?? {}) as Json;
      const uid = String(om['uid']);
      putPod(namespace, {
        metadata: {
          name: `${objectName}-${randomBytes(3).toString('hex').slice(0, 5)}`,
          labels: { ...((templateMeta['labels'] as Json) ?? {}), 'job-name': objectName, 'batch.kubernetes.io/job-name': objectName, 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: objectName, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: template['spec'],
      });
      return send(res, 201, object);
    }
    if (req.method === 'DELETE' && name) {
      const object = store[kind].get(key(namespace, name));
      if (!object) return send(res, 404, status(404, 'NotFound', `${group} "${name}" not found`, { name, kind }));
      store[kind].delete(key(namespace, name));
      emit(kind, 'DELETED', object);
      if (kind === 'pods') for (const listener of deleteListeners) listener(object);
      if (kind === 'jobs' && (body as Json | undefined)?.['propagationPolicy'] !== 'Orphan' && query['propagationPolicy'] !== 'Orphan') {
        for (const pod of list('pods', namespace, `job-name=${name}`)) {
          store.pods.delete(key(namespace, String(meta(pod)['name'])));
          emit('pods', 'DELETED', pod);
          for (const listener of deleteListeners) listener(pod);
        }
      }
      return send(res, 200, kind === 'jobs' ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: 'batch', kind: 'jobs', uid: meta(object)['uid'] } } : object);
    }
    return send(res, 405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${singular})`));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, status(500, 'InternalError', String(error))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'k8s-double-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // The client refuses plain HTTP unless told to skip TLS checks: the double has no TLS.
      `- name: double\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: tester\n  user:\n    token: test-double-token',
      'contexts:',
      '- name: double\n  context:\n    cluster: double\n    user: tester\n    namespace: clearml',
      'current-context: double',
      '',
    ].join('\n'),
  );

  const setWaiting = (pod: Json, reason: string, message?: string): void => {
    const s = pod['status'] as Json;
    s['containerStatuses'] = containerNames(pod).map((n, i) => ({ name: n, image: images(pod)[i], imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason, ...(message ? { message } : {}) } } }));
  };

  return {
    url,
    kubeconfig,
    requests,
    pods: (namespace) => [...store.pods.values()].filter((p) => !namespace || meta(p)['namespace'] === namespace),
    jobs: (namespace) => [...store.jobs.values()].filter((j) => !namespace || meta(j)['namespace'] === namespace),
    pod: (namespace, name) => store.pods.get(key(namespace, name)),
    secret: (namespace, name) => store.secrets.get(key(namespace, name)),
    schedule(namespace, name, node = 'node-1') {
      updatePod(namespace, name, (pod) => {
        (pod['spec'] as Json)['nodeName'] = node;
        const s = pod['status'] as Json;
        Object.assign(s, { hostIP: '10.0.0.11', startTime: now(), conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() }] });
        setWaiting(pod, 'ContainerCreating');
      });
    },
    unschedulable(namespace, name, message) {
      updatePod(namespace, name, (pod) => {
        (pod['status'] as Json)['conditions'] = [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now(), reason: 'Unschedulable', message }];
      });
    },
    imagePullBackOff(namespace, name, image) {
      updatePod(namespace, name, (pod) => setWaiting(pod, 'ImagePullBackOff', `Back-off pulling image "${image ?? images(pod)[0]}"`));
    },
    running(namespace, name) {
      updatePod(namespace, name, (pod) => {
        const s = pod['status'] as Json;
        s['phase'] = 'Running';
        s['podIP'] = '10.244.0.17';
        s['containerStatuses'] = containerNames(pod).map((n, i) => ({ name: n, image: images(pod)[i], imageID: `docker-pullable://${images(pod)[i]}@sha256:0`, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now() } } }));
      });
    },
    terminated(namespace, name, exitCode, reason) {
      updatePod(namespace, name, (pod) => {
        const s = pod['status'] as Json;
        s['phase'] = exitCode === 0 ? 'Succeeded' : 'Failed';
        s['containerStatuses'] = containerNames(pod).map((n, i) => ({
          name: n,
          image: images(pod)[i],
          ready: false,
          restartCount: 0,
          started: false,
          state: { terminated: { exitCode, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt: now(), finishedAt: now() } },
        }));
      });
    },
    appendLog(namespace, name, text) {
      logs.set(key(namespace, name), (logs.get(key(namespace, name)) ?? '') + text);
    },
    createPod: (namespace, pod) => putPod(namespace, structuredClone(pod)),
    onPodAdded: (listener) => void podListeners.push(listener),
    onPodDeleted: (listener) => void deleteListeners.push(listener),
    async close() {
      for (const w of watchers) w.res.end();
      watchers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
