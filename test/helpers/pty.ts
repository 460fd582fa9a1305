import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const driver = fileURLToPath(new URL('./pty-driver.py', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliEntry = fileURLToPath(new URL('./run-cli-from-source.ts', import.meta.url));

export interface PtyStep {
  /** Text to wait for (after the previous match). */
  expect: string;
  /** Keys to type once it appeared; "\n" is sent as Enter. */
  send?: string;
}

export interface PtyRun {
  /** Everything the terminal showed (echo included, CRLF line ends). */
  transcript: string;
  exitCode: number;
  /** Index of the step whose text never appeared, or null. */
  failedStep: number | null;
  timedOut: boolean;
}

/**
 * `tray-agent <args>` from source in a real pseudo-terminal (Python's pty module), driven by
 * `steps` as a user at the keyboard would.
 */
export function runCliInPty(args: string[], steps: PtyStep[], options: { env?: Record<string, string>; timeoutSec?: number } = {}): Promise<PtyRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pty-run-'));
  const specFile = join(dir, 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      command: [process.execPath, '--import', 'tsx', cliEntry, ...args],
      cwd: repoRoot,
      env: options.env ?? {},
      timeout: options.timeoutSec ?? 60,
      steps,
    }),
  );
  return new Promise((resolve, reject) => {
    execFile('python3', [driver, specFile], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (error) return reject(new Error(`pty driver failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PtyRun);
    });
  });
}
