// TaskRunSettings for tests and benchmarks that run tasks through the real pipeline: everything
// below one root folder, no GPUs, quick abort polling. Each caller overrides what it is about.
import { join } from 'node:path';
import type { TaskRunSettings } from '../../src-main/engine/task-run/settings.js';
import { pipEnvironmentSettings } from './environment-settings.js';

export function taskRunSettings(root: string, overrides: Partial<TaskRunSettings> = {}): TaskRunSettings {
  return {
    workRoot: join(root, 'work'),
    spoolDir: join(root, 'spool'),
    vcsCacheDir: join(root, 'vcs-cache'),
    git: { forceSshProtocol: false, forceSshUser: 'git', translateSsh: true },
    environment: pipEnvironmentSettings(root),
    baseEnv: { HOME: root, PATH: process.env['PATH'] },
    gpuEnv: { CUDA_VISIBLE_DEVICES: '', NVIDIA_VISIBLE_DEVICES: 'none' },
    forceGitRootPythonPath: false,
    enableTaskEnv: false,
    suppressCarriageReturn: true,
    abortPollIntervalMs: 200,
    abortGraceMs: 500,
    pingIntervalMs: 0,
    timeoutSec: 0,
    childConfig: {},
    secrets: [],
    standalone: false,
    skipPythonEnvInstall: false,
    ...overrides,
  };
}

/** The clearml.conf a task's SDK gets for `server`: its address and key pair. */
export function childConfigFor(server: { url: string; credentials: { accessKey: string; secretKey: string } }): Record<string, unknown> {
  return { api: { api_server: server.url, credentials: { access_key: server.credentials.accessKey, secret_key: server.credentials.secretKey } } };
}
