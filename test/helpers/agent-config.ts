import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A clearml.conf for tests: the given embedded server, every agent folder inside `root`, and
 * the agent's own python used as is (no venv: the environment phase has its own tests), so
 * daemon tests spend their time on the daemon.
 */
export async function writeAgentConfig(root: string, server: { url: string; credentials: { accessKey: string; secretKey: string } }, agentExtra = ''): Promise<string> {
  await mkdir(root, { recursive: true });
  const path = join(root, 'clearml.conf');
  await writeFile(
    path,
    `api {
  api_server: ${server.url}
  credentials { access_key: "${server.credentials.accessKey}", secret_key: "${server.credentials.secretKey}" }
}
agent {
  state_dir: "${join(root, 'state')}"
  spool_dir: "${join(root, 'spool')}"
  venvs_dir: "${join(root, 'venvs')}"
  vcs_cache.path: "${join(root, 'vcs')}"
  venvs_cache.path: "${join(root, 'venvs-cache')}"
  skip_python_env_install: true
  abort_poll_interval_sec: 0.2
  abort_grace_sec: 1
  task_ping_interval_sec: 0
  ${agentExtra}
}
`,
    { mode: 0o600 },
  );
  return path;
}
