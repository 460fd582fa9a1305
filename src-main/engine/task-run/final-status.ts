import { describeStopReason, type StopReason } from './stop-reason.js';

/** The status call that ends a run, decided from how it ended (reference §4.10). */
export type FinalStatus =
  | { call: 'completed'; statusReason: string; consoleLine: string }
  | { call: 'failed'; statusReason: string; consoleLine: string }
  | { call: 'stopped'; statusReason: string; consoleLine: string }
  | { call: 'none'; statusReason: string; consoleLine: string };

export type RunEnding =
  | { kind: 'exited'; exitCode: number | null; signal: string | null }
  | { kind: 'stopped'; reason: StopReason }
  | { kind: 'setup-failed'; reason: string; detail: string };

export function decideFinalStatus(ending: RunEnding): FinalStatus {
  if (ending.kind === 'setup-failed') {
    return { call: 'failed', statusReason: ending.reason, consoleLine: `Task setup failed: ${ending.detail}` };
  }
  if (ending.kind === 'stopped') {
    const reason = ending.reason;
    const text = describeStopReason(reason);
    switch (reason.kind) {
      case 'user-abort':
        return { call: 'stopped', statusReason: text, consoleLine: 'Process aborted by user' };
      case 'shutdown':
        return { call: 'stopped', statusReason: text, consoleLine: 'Process stopped: agent shutdown' };
      case 'local-abort':
        return { call: 'stopped', statusReason: text, consoleLine: 'Process aborted from Tray Agent' };
      case 'timeout':
        return { call: 'failed', statusReason: text, consoleLine: `Process killed: ${text}` };
      // Someone else already decided the task's status: leave it as the server has it.
      case 'status-changed':
      case 'reset':
      case 'not-found':
        return { call: 'none', statusReason: text, consoleLine: `Process killed: ${text}` };
    }
  }
  const { exitCode, signal } = ending;
  if (exitCode === 0) return { call: 'completed', statusReason: 'worker execution done', consoleLine: 'Process completed successfully' };
  // Ctrl-C / KeyboardInterrupt inside the task: clearml-agent reports a user abort.
  if (exitCode === 254 || exitCode === -2 || signal === 'SIGINT') {
    return { call: 'stopped', statusReason: 'user abort', consoleLine: 'Process terminated by user' };
  }
  const code = exitCode ?? (signal ? `signal ${signal}` : 'unknown');
  return { call: 'failed', statusReason: `worker execution exit code ${code}`, consoleLine: `Process failed, exit code ${code}` };
}
