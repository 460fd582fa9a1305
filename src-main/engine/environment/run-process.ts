import { spawn } from 'node:child_process';
import { cancelledError } from './errors.js';

export interface RunProcessOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Each complete output line (stdout and stderr), as it arrives. */
  onLine?: (line: string) => void;
  /** Keep stdout in full (for `pip freeze`); otherwise only a tail is kept. */
  captureStdout?: boolean;
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on cancellation. */
  killGraceMs?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last lines of stdout+stderr, for error messages. */
  outputTail: string[];
  timedOut: boolean;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError: NodeJS.ErrnoException | null;
}

const TAIL_LINES = 60;

/**
 * Runs one command in its own process group so that cancellation reaches everything it started
 * (pip spawns build backends and git). Never throws for a failing command: callers turn the
 * result into an error that names what they were doing. Throws only when cancelled.
 */
export async function runProcess(command: string, args: string[], opts: RunProcessOptions): Promise<ProcessResult> {
  if (opts.signal?.aborted) throw cancelledError();
  const tail: string[] = [];
  const stdoutChunks: string[] = [];
  const pushTail = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };

  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    let cancelled = false;
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        if (process.platform === 'win32') child.kill(sig);
        else process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 3000);
      killTimer.unref();
    };
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timeout =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, opts.timeoutMs)
        : undefined;

    const lineReader = (onText?: (text: string) => void) => {
      let partial = '';
      return {
        push(chunk: Buffer): void {
          const text = chunk.toString('utf8');
          onText?.(text);
          partial += text;
          const lines = partial.split(/\r?\n|\r/);
          partial = lines.pop() ?? '';
          for (const line of lines) {
            pushTail(line);
            opts.onLine?.(line);
          }
        },
        end(): void {
          if (partial) {
            pushTail(partial);
            opts.onLine?.(partial);
            partial = '';
          }
        },
      };
    };
    const out = lineReader(opts.captureStdout ? (t) => stdoutChunks.push(t) : undefined);
    const err = lineReader();
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code, sig) => {
      out.end();
      err.end();
      opts.signal?.removeEventListener('abort', onAbort);
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      if (cancelled) {
        reject(cancelledError());
        return;
      }
      resolve({ exitCode: code, signal: sig, stdout: stdoutChunks.join(''), outputTail: tail, timedOut, spawnError });
    });
  });
}

/** The lines worth quoting from a failed tool: its `ERROR:` lines, else the last few lines. */
export function summariseFailure(result: ProcessResult, maxLines = 12): string {
  if (result.spawnError) return result.spawnError.message;
  const lines = result.outputTail.map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => /^\s*(ERROR|error)\b/.test(l));
  const picked = (errors.length > 0 ? errors : lines).slice(-maxLines);
  const status = result.timedOut
    ? 'timed out'
    : result.signal
      ? `was killed by ${result.signal}`
      : `exited with code ${String(result.exitCode)}`;
  return picked.length > 0 ? `${status}:\n${picked.join('\n')}` : status;
}
