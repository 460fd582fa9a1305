/**
 * docker run switches → the Engine API's container create fields (what the docker CLI does
 * before it calls the daemon), so everything goes through dockerode without the CLI. Pure.
 */
import type Dockerode from 'dockerode';
import { DockerArgsError, IGNORED_SWITCHES, describeSource, type DockerSwitch } from './docker-args.js';

export type HostConfig = NonNullable<Dockerode.ContainerCreateOptions['HostConfig']>;

export interface SwitchSettings {
  /** `KEY=value` in order; a later KEY wins inside the container, as with the CLI. */
  env: string[];
  labels: Record<string, string>;
  name: string | null;
  user: string | null;
  hostname: string | null;
  exposedPorts: Record<string, Record<string, never>>;
  hostConfig: HostConfig;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m`, `8g`, `1024` → bytes (binary units, as docker reads them). */
export function parseByteSize(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1));
}

function bad(s: DockerSwitch, expected: string): never {
  throw new DockerArgsError(`${describeSource(s.source)}: "${s.words.join(' ')}": expected ${expected}`);
}

function keyValue(s: DockerSwitch, what: string): [string, string] {
  const value = s.value ?? '';
  const equals = value.indexOf('=');
  if (equals <= 0) bad(s, `${what} as NAME=VALUE`);
  return [value.slice(0, equals), value.slice(equals + 1)];
}

function parseMount(s: DockerSwitch): NonNullable<HostConfig['Mounts']>[number] {
  const fields: Record<string, string> = {};
  for (const part of (s.value ?? '').split(',')) {
    const [key, ...rest] = part.split('=');
    if (key) fields[key.trim().toLowerCase()] = rest.join('=').trim();
  }
  const type = (fields['type'] ?? 'volume') as 'bind' | 'volume' | 'tmpfs';
  const target = fields['target'] ?? fields['destination'] ?? fields['dst'];
  if (!target) bad(s, 'type=bind,source=/host/path,target=/container/path');
  const source = fields['source'] ?? fields['src'];
  const readOnly = 'readonly' in fields || 'ro' in fields ? !/^(false|0)$/i.test(fields['readonly'] ?? fields['ro'] ?? '') : false;
  return { Type: type, Target: target, Source: source ?? '', ReadOnly: readOnly };
}

function parseUlimit(s: DockerSwitch): { Name: string; Soft: number; Hard: number } {
  const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(s.value ?? '');
  if (!match) bad(s, 'NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  const soft = Number(match[2]);
  return { Name: match[1] as string, Soft: soft, Hard: match[3] === undefined ? soft : Number(match[3]) };
}

function parseDevice(s: DockerSwitch): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host, inside, permissions] = (s.value ?? '').split(':');
  if (!host) bad(s, '/dev/HOST[:/dev/CONTAINER[:rwm]]');
  return { PathOnHost: host, PathInContainer: inside || host, CgroupPermissions: permissions || 'rwm' };
}

function parsePublish(s: DockerSwitch, settings: SwitchSettings): void {
  const match = /^(?:(?:([\d.]+|\[[^\]]+\]):)?(\d*):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(s.value ?? '');
  if (!match) bad(s, '[IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]');
  const port = `${match[3]}/${match[4] ?? 'tcp'}`;
  settings.exposedPorts[port] = {};
  const bindings = (settings.hostConfig.PortBindings ??= {}) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
  (bindings[port] ??= []).push({ HostIp: match[1]?.replace(/^\[|\]$/g, '') ?? '', HostPort: match[2] ?? '' });
}

const REFUSED_HINTS: Record<string, string> = {
  gpus: 'GPUs come from the agent (--gpus, --cpu-only, dynamic GPU slots), not from docker arguments',
  entrypoint: 'the agent starts the container with its own bootstrap; set the task entry point (script.entry_point) instead',
  workdir: 'the task runs in its script.working_dir; set that instead',
  restart: 'the agent removes its containers when the task ends',
  platform: 'use an image built for this machine',
  'env-file': 'give the variables one by one with -e NAME=VALUE',
};

/** Applies switches in order over empty settings; a switch the agent cannot honour is an error. */
export function switchesToApi(switches: readonly DockerSwitch[]): SwitchSettings {
  const settings: SwitchSettings = { env: [], labels: {}, name: null, user: null, hostname: null, exposedPorts: {}, hostConfig: {} };
  const host = settings.hostConfig;
  const push = <K extends keyof HostConfig>(key: K, value: NonNullable<HostConfig[K]> extends Array<infer T> ? T : never) => {
    ((host[key] ??= [] as never) as unknown as unknown[]).push(value);
  };
  for (const s of switches) {
    if (IGNORED_SWITCHES.has(s.name)) continue;
    const value = s.value ?? '';
    const hint = REFUSED_HINTS[s.name];
    if (hint) throw new DockerArgsError(`${describeSource(s.source)}: "${s.words.join(' ')}" is not accepted: ${hint}`);
    switch (s.name) {
      case 'env':
        if (!/^[^=\s]+(=|$)/.test(value)) bad(s, 'NAME=VALUE');
        settings.env.push(value);
        break;
      case 'volume': {
        const parts = value.split(':');
        if (parts.length < 2 || !parts[0] || !parts[1]) bad(s, 'HOST_PATH_OR_VOLUME:CONTAINER_PATH[:ro]');
        push('Binds', value);
        break;
      }
      case 'mount':
        push('Mounts', parseMount(s));
        break;
      case 'network':
        host.NetworkMode = value;
        break;
      case 'ipc':
        host.IpcMode = value;
        break;
      case 'pid':
        host.PidMode = value;
        break;
      case 'uts':
        host.UTSMode = value;
        break;
      case 'shm-size': {
        const bytes = parseByteSize(value);
        if (bytes === null) bad(s, 'a size such as 8g or 512m');
        host.ShmSize = bytes;
        break;
      }
      case 'memory':
      case 'memory-swap': {
        const bytes = value === '-1' && s.name === 'memory-swap' ? -1 : parseByteSize(value);
        if (bytes === null) bad(s, 'a size such as 8g or 512m');
        if (s.name === 'memory') host.Memory = bytes;
        else host.MemorySwap = bytes;
        break;
      }
      case 'privileged':
        host.Privileged = true;
        break;
      case 'security-opt':
        push('SecurityOpt', value);
        break;
      case 'cap-add':
        push('CapAdd', value);
        break;
      case 'cap-drop':
        push('CapDrop', value);
        break;
      case 'device':
        push('Devices', parseDevice(s));
        break;
      case 'label': {
        const [key, labelValue] = value.includes('=') ? keyValue(s, 'a label') : [value, ''];
        settings.labels[key] = labelValue;
        break;
      }
      case 'name':
        settings.name = value;
        break;
      case 'user':
        settings.user = value;
        break;
      case 'hostname':
        settings.hostname = value;
        break;
      case 'add-host':
        if (!/^[^:]+:.+$/.test(value)) bad(s, 'HOST:IP');
        push('ExtraHosts', value);
        break;
      case 'dns':
        push('Dns', value);
        break;
      case 'ulimit':
        push('Ulimits', parseUlimit(s));
        break;
      case 'cpus': {
        const cpus = Number(value);
        if (!Number.isFinite(cpus) || cpus <= 0) bad(s, 'a number of CPUs such as 2 or 1.5');
        host.NanoCpus = Math.round(cpus * 1e9);
        break;
      }
      case 'cpuset-cpus':
        host.CpusetCpus = value;
        break;
      case 'cpu-shares': {
        const shares = Number(value);
        if (!Number.isInteger(shares) || shares < 0) bad(s, 'a whole number');
        host.CpuShares = shares;
        break;
      }
      case 'pids-limit': {
        const limit = Number(value);
        if (!Number.isInteger(limit)) bad(s, 'a whole number');
        host.PidsLimit = limit;
        break;
      }
      case 'runtime':
        host.Runtime = value;
        break;
      case 'tmpfs': {
        const [path, ...options] = value.split(':');
        if (!path?.startsWith('/')) bad(s, '/CONTAINER_PATH[:OPTIONS]');
        (host.Tmpfs ??= {})[path] = options.join(':');
        break;
      }
      case 'group-add':
        push('GroupAdd', value);
        break;
      case 'sysctl': {
        const [key, sysctlValue] = keyValue(s, 'a kernel parameter');
        (host.Sysctls ??= {})[key] = sysctlValue;
        break;
      }
      case 'publish':
        parsePublish(s, settings);
        break;
      default:
        throw new DockerArgsError(`${describeSource(s.source)}: "${s.words.join(' ')}" is not supported`);
    }
  }
  return settings;
}
