import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes the clearml.conf the task's SDK reads (it holds the API credentials): mode 0600 in the
 * run's private folder, written to a temp name and renamed so it is never seen half-written.
 * clearml-agent leaves this file world-readable in /tmp; we do not.
 */
export async function writeChildConfigFile(taskDir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(taskDir, 'clearml.conf');
  const temp = `${path}.tmp`;
  // JSON is valid HOCON, so the SDK and clearml-agent parse it as they parse any clearml.conf.
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
  return path;
}
