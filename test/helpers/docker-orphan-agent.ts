// A stand-in agent process for the orphan test: runs one task in docker mode through the same
// phases as the agent, prints the container id once it runs, and is then SIGKILLed by the test
// (an agent killed mid-task, leaving its container behind). Input: a JSON file (argv[2]).
import { readFileSync } from 'node:fs';
import { createApiClient } from '../../src-main/engine/api/index.js';
import { createTaskRunApi } from '../../src-main/engine/task-run/api-adapter.js';
import type { TaskRunSettings } from '../../src-main/engine/task-run/settings.js';
import { dockerPhases, type DockerSettings } from '../../src-main/engine/docker/index.js';
import { runTaskWithExecutor } from './docker-run-task.js';

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  server: { url: string; credentials: { accessKey: string; secretKey: string } };
  taskId: string;
  workerId: string;
  settings: TaskRunSettings;
  docker: DockerSettings;
};
const client = createApiClient({ apiServer: input.server.url, credentials: input.server.credentials });
await runTaskWithExecutor({
  taskId: input.taskId,
  workerId: input.workerId,
  api: createTaskRunApi(client),
  settings: input.settings,
  monitoring: true,
  echo: (text) => process.stdout.write(text),
  executorPhases: ({ stopRequested, reportStatus }) =>
    dockerPhases({ docker: input.docker, stopRequested, reportStatus, onContainer: ({ containerId }) => process.stdout.write(`CONTAINER ${containerId}\n`) }),
});
