// Parsing of the GPU selections a user writes (`--gpus`) and the ones the environment
// already carries (`NVIDIA_VISIBLE_DEVICES`, `CUDA_VISIBLE_DEVICES`).

/** One device in a selection: a whole GPU (`mig: null`) or a MIG instance `index:mig`. */
export interface GpuDevice {
  index: number;
  mig: number | null;
}

/**
 * What a task may see. `all` = every GPU of the machine; `none` = CPU only; `list` = exactly
 * these devices. `spec` keeps the text the user wrote (normalised), because clearml-agent puts
 * it verbatim into the worker id (`host:gpu0-3`) and `daemon --stop` recomputes ids from flags.
 */
export type GpuSelection =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'list'; devices: GpuDevice[]; spec: string }
  /** Only from the environment: `NVIDIA_VISIBLE_DEVICES=GPU-…,MIG-…` (passed on as written). */
  | { kind: 'uuids'; uuids: string[] };

export class GpuSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuSpecError';
  }
}

const GPUS_EXPECTED =
  'expected "all", a GPU index (0), a list (0,1), a range (0-3) or MIG devices (0:1,1:0)';

function gpusError(text: string, detail: string): GpuSpecError {
  return new GpuSpecError(`--gpus "${text}": ${detail}; ${GPUS_EXPECTED}`);
}

function parseIndex(token: string): number | null {
  return /^\d{1,4}$/.test(token) ? Number(token) : null;
}

/**
 * `--gpus`: `all`, `0`, `0,1`, `0-3`, `0-1,3` or MIG `0:1,1:0`. Ranges are expanded (unlike
 * clearml-agent, which passes `0-3` verbatim into CUDA_VISIBLE_DEVICES where CUDA cannot read
 * it). Duplicates and reversed ranges are errors, as they are almost always typos.
 */
export function parseGpuSpec(text: string): GpuSelection {
  const spec = text.replace(/\s+/g, '');
  if (spec === '') throw gpusError(text, 'the value is empty');
  if (spec.toLowerCase() === 'all') return { kind: 'all' };

  const devices: GpuDevice[] = [];
  const seen = new Set<string>();
  const add = (device: GpuDevice, token: string): void => {
    const key = device.mig === null ? `${device.index}` : `${device.index}:${device.mig}`;
    if (seen.has(key)) throw gpusError(text, `GPU ${key} is listed twice ("${token}")`);
    seen.add(key);
    devices.push(device);
  };

  for (const token of spec.split(',')) {
    if (token === '') throw gpusError(text, 'empty entry between commas');
    const mig = /^(\d+):(\d+)$/.exec(token);
    if (mig) {
      add({ index: Number(mig[1]), mig: Number(mig[2]) }, token);
      continue;
    }
    const range = /^([^-]*)-([^-]*)$/.exec(token);
    if (range) {
      const start = parseIndex(range[1] ?? '');
      const end = parseIndex(range[2] ?? '');
      if (start === null || end === null) throw gpusError(text, `"${token}" is not a range of GPU indices`);
      if (start > end) throw gpusError(text, `range "${token}" runs backwards (write ${end}-${start})`);
      for (let index = start; index <= end; index += 1) add({ index, mig: null }, token);
      continue;
    }
    const index = parseIndex(token);
    if (index === null) throw gpusError(text, `"${token}" is not a GPU index`);
    add({ index, mig: null }, token);
  }
  return { kind: 'list', devices, spec };
}

/** The device list as CUDA/NVIDIA env vars and docker `device=` want it: `0,1`, MIG `0:1`. */
export function formatGpuDevices(devices: readonly GpuDevice[]): string {
  return devices.map((d) => (d.mig === null ? `${d.index}` : `${d.index}:${d.mig}`)).join(',');
}

/** One entry of a *_VISIBLE_DEVICES variable: an index (maybe MIG) or a `GPU-…`/`MIG-…` UUID. */
export type VisibleDevice = { kind: 'index'; index: number; mig: number | null } | { kind: 'uuid'; uuid: string };

export type VisibleDevices =
  | { kind: 'unset' }
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'list'; devices: VisibleDevice[] };

function parseVisibleEntry(token: string): VisibleDevice | null {
  const mig = /^(\d+):(\d+)$/.exec(token);
  if (mig) return { kind: 'index', index: Number(mig[1]), mig: Number(mig[2]) };
  if (/^\d+$/.test(token)) return { kind: 'index', index: Number(token), mig: null };
  if (/^(GPU|MIG)-[0-9A-Za-z/-]+$/.test(token)) return { kind: 'uuid', uuid: token };
  return null;
}

/**
 * `NVIDIA_VISIBLE_DEVICES` (container runtime semantics): unset, `all`, `none`/`void`/empty,
 * or a list of indices / UUIDs. An unreadable entry is an error naming the variable.
 */
export function parseNvidiaVisibleDevices(value: string | undefined): VisibleDevices {
  if (value === undefined) return { kind: 'unset' };
  const text = value.trim();
  const lower = text.toLowerCase();
  if (lower === 'all') return { kind: 'all' };
  if (lower === '' || lower === 'none' || lower === 'void') return { kind: 'none' };
  const devices: VisibleDevice[] = [];
  for (const token of text.split(',').map((t) => t.trim())) {
    const device = parseVisibleEntry(token);
    if (!device) {
      throw new GpuSpecError(
        `NVIDIA_VISIBLE_DEVICES="${value}": "${token}" is neither a GPU index nor a GPU-/MIG- UUID; ` +
          'expected "all", "none" or a list such as 0,1',
      );
    }
    devices.push(device);
  }
  return { kind: 'list', devices };
}

/**
 * `CUDA_VISIBLE_DEVICES` with CUDA's own semantics: empty = no GPU; the list is read up to the
 * first entry CUDA cannot use (`-1`, garbage), which hides that entry and everything after it.
 * `all` is not CUDA syntax but clearml-agent users write it, so it is accepted.
 */
export function parseCudaVisibleDevices(value: string | undefined): VisibleDevices {
  if (value === undefined) return { kind: 'unset' };
  const text = value.trim();
  if (text.toLowerCase() === 'all') return { kind: 'all' };
  const devices: VisibleDevice[] = [];
  for (const token of text.split(',').map((t) => t.trim())) {
    const device = parseVisibleEntry(token);
    if (!device) break;
    devices.push(device);
  }
  return devices.length === 0 ? { kind: 'none' } : { kind: 'list', devices };
}

function selectionFromVisible(visible: VisibleDevices, variable: string, value: string): GpuSelection | null {
  const source = `${variable}="${value}"`;
  switch (visible.kind) {
    case 'unset':
      return null;
    case 'none':
      return { kind: 'none' };
    case 'all':
      return { kind: 'all' };
    case 'list': {
      const devices: GpuDevice[] = [];
      const uuids: string[] = [];
      for (const d of visible.devices) {
        if (d.kind === 'uuid') uuids.push(d.uuid);
        else devices.push({ index: d.index, mig: d.mig });
      }
      if (uuids.length > 0 && devices.length > 0) {
        throw new GpuSpecError(`${source}: mixes GPU indices and UUIDs; use one form for all entries`);
      }
      if (uuids.length > 0) return { kind: 'uuids', uuids };
      return { kind: 'list', devices, spec: formatGpuDevices(devices) };
    }
  }
}

/**
 * The GPUs the daemon works with, in clearml-agent's order of precedence: `--cpu-only` >
 * `--gpus` > `NVIDIA_VISIBLE_DEVICES` > `CUDA_VISIBLE_DEVICES` (also `CLEARML_CPU_ONLY`/`CPU_ONLY`).
 * `null` means no GPU setting at all (the worker id is then `host:<slot>`).
 */
export function resolveGpuSelection(opts: {
  gpusFlag?: string | null;
  cpuOnly?: boolean;
  env?: Record<string, string | undefined>;
}): GpuSelection | null {
  const env = opts.env ?? {};
  const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
  if (opts.cpuOnly || truthy(env.CLEARML_CPU_ONLY) || truthy(env.CPU_ONLY)) return { kind: 'none' };
  if (opts.gpusFlag !== undefined && opts.gpusFlag !== null) return parseGpuSpec(opts.gpusFlag);
  const nvidia = env.NVIDIA_VISIBLE_DEVICES;
  if (nvidia !== undefined) {
    return selectionFromVisible(parseNvidiaVisibleDevices(nvidia), 'NVIDIA_VISIBLE_DEVICES', nvidia);
  }
  const cuda = env.CUDA_VISIBLE_DEVICES;
  if (cuda !== undefined) return selectionFromVisible(parseCudaVisibleDevices(cuda), 'CUDA_VISIBLE_DEVICES', cuda);
  return null;
}
