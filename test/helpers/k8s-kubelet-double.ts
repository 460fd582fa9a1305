// TEST DOUBLE of a node's kubelet for the Kubernetes API double: no containers can run here, so
// it "runs" a pod by starting the pod's first container command as a local process with the
// pod's env (values and secretKeyRefs resolved as the kubelet does; the image is ignored). Its
// output becomes the pod log, its exit code the container's; deleting the pod sends SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import type { K8sApiDouble } from './k8s-api-double.js';

type Json = Record<string, unknown>;

export interface KubeletDouble {
  /** Pods kept Pending (unscheduled) until released, by name. */
  readonly held: Set<string>;
  release(name: string): void;
  /** Names of the pods whose process ran, in start order. */
  readonly started: string[];
  stop(): Promise<void>;
}

export function startKubeletDouble(api: K8sApiDouble, options: { env: Record<string, string | undefined>; hold?: (pod: Json) => boolean }): KubeletDouble {
  const held = new Set<string>();
  const pending = new Map<string, Json>();
  const processes = new Map<string, ChildProcess>();
  const started: string[] = [];
  let stopped = false;

  const resolveEnv = (namespace: string, container: Json): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const entry of (container['env'] as Json[] | undefined) ?? []) {
      const name = String(entry['name']);
      if (typeof entry['value'] === 'string') env[name] = entry['value'];
      const ref = (entry['valueFrom'] as Json | undefined)?.['secretKeyRef'] as Json | undefined;
      if (ref) {
        const secret = api.secret(namespace, String(ref['name']));
        const data = (secret?.['data'] as Record<string, string> | undefined)?.[String(ref['key'])];
        if (data === undefined) throw new Error(`secret "${String(ref['name'])}" has no key ${String(ref['key'])}`);
        env[name] = Buffer.from(data, 'base64').toString('utf8');
      }
    }
    return env;
  };

  const run = (pod: Json): void => {
    const meta = pod['metadata'] as Json;
    const namespace = String(meta['namespace']);
    const name = String(meta['name']);
    const container = ((pod['spec'] as Json)['containers'] as Json[])[0]!;
    const argv = [...((container['command'] as string[] | undefined) ?? []), ...((container['args'] as string[] | undefined) ?? [])];
    // A pod without a command would run its image's entrypoint: nothing to run here, the test drives it.
    if (argv.length === 0) return;
    api.schedule(namespace, name);
    let env: Record<string, string>;
    try {
      env = resolveEnv(namespace, container);
    } catch (error) {
      api.appendLog(namespace, name, `${(error as Error).message}\n`);
      return;
    }
    api.running(namespace, name);
    started.push(name);
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...options.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    processes.set(name, child);
    const log = (chunk: Buffer): void => api.appendLog(namespace, name, chunk.toString());
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);
    child.on('exit', (code, signal) => {
      processes.delete(name);
      if (api.pod(namespace, name)) api.terminated(namespace, name, code ?? (signal ? 137 : 1));
    });
  };

  api.onPodAdded((pod) => {
    const name = String((pod['metadata'] as Json)['name']);
    if (options.hold?.(pod)) {
      held.add(name);
      pending.set(name, pod);
      return;
    }
    // After the create call has answered, as a real node would.
    setTimeout(() => !stopped && api.pod(String((pod['metadata'] as Json)['namespace']), name) && run(pod), 50);
  });
  api.onPodDeleted((pod) => {
    const name = String((pod['metadata'] as Json)['name']);
    pending.delete(name);
    processes.get(name)?.kill('SIGTERM');
  });

  return {
    held,
    started,
    release(name) {
      const pod = pending.get(name);
      held.delete(name);
      pending.delete(name);
      if (pod) run(pod);
    },
    async stop() {
      stopped = true;
      for (const child of processes.values()) child.kill('SIGTERM');
      await Promise.all([...processes.values()].map((child) => new Promise((r) => child.once('exit', r))));
    },
  };
}
