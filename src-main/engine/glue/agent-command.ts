// How a scheduler job starts `tray-agent` on its node: this checkout's bin/tray-agent.js with the
// node binary the glue runs on (absolute paths, so a job on a node that shares the file system
// — our one-node cluster, a lab's NFS home — runs the very same agent). Under Electron the app
// binary itself, in its headless --cli mode.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AgentCommandInputs {
  readonly execPath: string;
  /** process.versions.electron: set when running inside the Electron app. */
  readonly electron?: string | undefined;
  /** A file inside the checkout (this module, or the bundle it was built into). */
  readonly fromFile: string;
  readonly exists?: (path: string) => boolean;
}

/** The checkout root: the nearest folder above `fromFile` holding bin/tray-agent.js. */
export function findCheckoutRoot(fromFile: string, exists: (path: string) => boolean = existsSync): string | null {
  let dir = dirname(fromFile);
  for (;;) {
    if (exists(join(dir, 'bin', 'tray-agent.js')) && exists(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function agentCommandFor(inputs: AgentCommandInputs): string[] {
  if (inputs.electron) return [inputs.execPath, '--cli'];
  const root = findCheckoutRoot(inputs.fromFile, inputs.exists);
  if (root === null) throw new Error(`cannot find bin/tray-agent.js above ${inputs.fromFile}; run the glue from a Tray Agent checkout or package`);
  return [inputs.execPath, join(root, 'bin', 'tray-agent.js')];
}

/** The command for this process. */
export function agentCommand(): string[] {
  return agentCommandFor({ execPath: process.execPath, electron: process.versions.electron, fromFile: fileURLToPath(import.meta.url) });
}
