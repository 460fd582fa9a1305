// A command run to its end for its result (pip, poetry, conda, uv, git): output lines as they
// arrive, a kept tail for error messages, cancellation and time-out through the same stop
// escalation as task processes. Never throws for a failing command; throws only when cancelled.
import { startProcess, ProcessStartError, type ManagedProcess } from './start-process.js';

export interface RunCommandOptions {
  cwd?: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Each complete output line (stdout and stderr), as it arrives. */
  onLine?: (line: string) => void;
  /** Keep stdout in full (for `pip freeze`); otherwise only a tail is kept. */
  captureStdout?: boolean;
  /** Keep stderr in full too. */
  captureStderr?: boolean;
  input?: string;
  timeoutMs?: number;
  /** Grace of the stop escalation on cancellation or time-out. */
  killGraceMs?: number;
  /** Error to throw when `signal` aborts (callers name what was cancelled). */
  cancelledError?: () => Error;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last lines of stdout+stderr, for error messages. */
  outputTail: string[];
  timedOut: boolean;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError: NodeJS.ErrnoException | null;
}

const TAIL_LINES = 60;

export class CommandCancelledError extends Error {
  override readonly name = 'CommandCancelledError';
}

function lineSplitter(onLine: (line: string) => void, onText?: (text: string) => void) {
  let partial = '';
  return {
    push(chunk: Buffer): void {
      const text = chunk.toString('utf8');
      onText?.(text);
      partial += text;
      const lines = partial.split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    end(): void {
      if (partial) onLine(partial);
      partial = '';
    },
  };
}

function streamEnded(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

export async function runCommand(command: string, args: readonly string[], opts: RunCommandOptions): Promise<ProcessResult> {
  const cancelled = (): Error => opts.cancelledError?.() ?? new CommandCancelledError(`${command} was cancelled`);
  if (opts.signal?.aborted) throw cancelled();
  const tail: string[] = [];
  const stdoutChunks: string[] = [];
  const stderrChunks: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    opts.onLine?.(line);
  };
  let child: ManagedProcess;
  try {
    child = startProcess({ command, args, cwd: opts.cwd, env: opts.env, input: opts.input });
  } catch (error) {
    if (error instanceof ProcessStartError) {
      const exit = await error.exit;
      const spawnError = exit.spawnError ?? (Object.assign(new Error(`spawn ${command} failed`), { code: 'UNKNOWN' }) as NodeJS.ErrnoException);
      return { exitCode: null, signal: null, stdout: '', stderr: '', outputTail: [], timedOut: false, spawnError };
    }
    throw error;
  }
  const out = lineSplitter(onLine, opts.captureStdout ? (t) => stdoutChunks.push(t) : undefined);
  const err = lineSplitter(onLine, opts.captureStderr ? (t) => stderrChunks.push(t) : undefined);
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const streamsDone = Promise.all([streamEnded(child.stdout), streamEnded(child.stderr)]);

  let wasCancelled = false;
  let timedOut = false;
  let stopping: Promise<unknown> | null = null;
  const stop = (): void => {
    stopping ??= child.stop(opts.killGraceMs ?? 3_000);
  };
  const onAbort = (): void => {
    wasCancelled = true;
    stop();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
  try {
    const exit = await child.exited;
    await streamsDone;
    out.end();
    err.end();
    if (stopping) await stopping;
    if (wasCancelled) throw cancelled();
    return {
      exitCode: exit.exitCode,
      signal: (exit.signal as NodeJS.Signals | null) ?? null,
      stdout: stdoutChunks.join(''),
      stderr: stderrChunks.join(''),
      outputTail: tail,
      timedOut,
      spawnError: exit.spawnError,
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  }
}

/** The lines worth quoting from a failed tool: its `ERROR:` lines, else the last few lines. */
export function summariseFailure(result: ProcessResult, maxLines = 12): string {
  if (result.spawnError) return result.spawnError.message;
  const lines = result.outputTail.map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => /^\s*(ERROR|error)\b/.test(l));
  const picked = (errors.length > 0 ? errors : lines).slice(-maxLines);
  const status = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
  return picked.length > 0 ? `${status}:\n${picked.join('\n')}` : status;
}
