import type { ApiClient } from '../api/index.js';
import type { TaskContainerField } from './phases.js';

/**
 * The server call docker mode adds to a run: the image that ran is written onto the task
 * (`tasks.edit container`, forced: the task is in progress), so the task records what it ran in
 * and a clone of it runs there again (reference §4.1 "Default image used").
 */
export function createDockerTaskApi(client: ApiClient): { writeBackContainer(taskId: string, container: TaskContainerField): Promise<void> } {
  return {
    async writeBackContainer(taskId, container) {
      await client.tasks.edit({ task: taskId, force: true, container: { ...container } });
    },
  };
}
