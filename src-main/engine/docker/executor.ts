// Docker mode on the task-executor seam (engine/task-run/executor.ts): the host prepares the
// workspace as in venv mode, then the docker phases replace environment, launch and supervise.
import type { TaskExecutor } from '../task-run/executor.js';
import type { ApiClient } from '../api/index.js';
import { dockerPhases, type DockerPhaseOptions } from './phases.js';
import { createDockerTaskApi } from './task-api.js';
import type { DockerSettings } from './settings.js';

export interface DockerExecutorOptions {
  readonly docker: DockerSettings;
  /** The API client the daemon or execute uses: the image that ran is written back with it. */
  readonly client: ApiClient;
  readonly role?: DockerPhaseOptions['role'];
  readonly parentWorkerId?: string;
  /** Told the container id once it runs (the running registry records it for the reaper). */
  readonly onContainer?: DockerPhaseOptions['onContainer'];
}

export function dockerExecutor(options: DockerExecutorOptions): TaskExecutor {
  const taskApi = createDockerTaskApi(options.client);
  return {
    kind: 'docker',
    phases: ({ stopRequested }) =>
      dockerPhases({
        docker: options.docker,
        stopRequested,
        writeBackContainer: (taskId, container) => taskApi.writeBackContainer(taskId, container),
        role: options.role,
        parentWorkerId: options.parentWorkerId,
        onContainer: options.onContainer,
      }),
  };
}
