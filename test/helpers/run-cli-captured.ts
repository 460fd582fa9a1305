import { vi } from 'vitest';
import { runCli } from '../../src-main/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One `tray-agent` command line run in-process, with stdout and stderr captured. */
export async function runCliCaptured(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}
