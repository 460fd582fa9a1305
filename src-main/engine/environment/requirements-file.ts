import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The requirement lines go to the installer through a private temporary file rather than argv:
 * index URLs may carry credentials, and argv is visible to every user of the machine.
 */
export async function withRequirementsFile<T>(lines: string[], use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tray-agent-reqs-'));
  try {
    const file = path.join(dir, 'requirements.txt');
    await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
