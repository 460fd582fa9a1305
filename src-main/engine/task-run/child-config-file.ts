import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Writes the clearml.conf the task's SDK reads (it holds the API credentials): mode 0600 in the
 * run's private folder, written atomically (temp file, fsync, rename) so it is never seen half-written.
 * clearml-agent leaves this file world-readable in /tmp; we do not.
 */
export async function writeChildConfigFile(taskDir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(taskDir, 'clearml.conf');
  // JSON is valid HOCON, so the SDK and clearml-agent parse it as they parse any clearml.conf.
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return path;
}
