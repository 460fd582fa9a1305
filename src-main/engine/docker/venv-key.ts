/**
 * The key of a container venv in the mounted cache: everything that decides what ends up in it.
 * The image is named by its id (a rebuilt `python:3.11` is another image, with another python),
 * so one key is one exact interpreter. Pure.
 */
import { createHash } from 'node:crypto';

export const DOCKER_VENV_SCHEMA = 'tray-agent-docker-venv/1';

export interface DockerVenvKeyInput {
  /** `sha256:...` of the image. */
  readonly imageId: string;
  /** The interpreters the bootstrap looks for, in order. */
  readonly pythonCandidates: readonly string[];
  readonly systemSitePackages: boolean;
  readonly pipFlags: readonly string[];
  readonly pipEnv: Readonly<Record<string, string>>;
  /** Normalised requirement lines (order does not matter). */
  readonly requirements: readonly string[];
}

export function dockerVenvKey(input: DockerVenvKeyInput): string {
  const canonical = {
    schema: DOCKER_VENV_SCHEMA,
    imageId: input.imageId,
    python: input.pythonCandidates,
    systemSitePackages: input.systemSitePackages,
    pipFlags: input.pipFlags,
    pipEnv: Object.entries(input.pipEnv).sort(([a], [b]) => a.localeCompare(b)),
    requirements: [...input.requirements].sort(),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** `python3.10` → [`python3.10`, `python3`, `python`]; no version → [`python3`, `python`]. */
export function pythonCandidates(binary: string | null | undefined, override?: string | null): string[] {
  const wanted = override ? `python${override}` : (binary ?? '').trim().split('/').pop() ?? '';
  const versioned = /^python\d+(\.\d+)?$/.test(wanted) ? [wanted] : [];
  return [...new Set([...versioned, 'python3', 'python'])];
}
