// Run as an unprivileged user by the docker suite: asks the daemon through the agent's own
// client code and prints what the agent would report (one JSON line). Imports only modules
// that run on the system's Node (the user cannot reach the project's Node 22 under /root).
import { checkDockerDaemon, createDockerClient, dockerConnectionFromEnv } from '../../src-main/engine/docker/docker-client.js';

const connection = dockerConnectionFromEnv(process.env);
try {
  await checkDockerDaemon(createDockerClient(connection), connection);
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ reason: (error as { reason?: string }).reason, message: (error as Error).message })}\n`);
}
