/**
 * Why a running task stopped before its process exited on its own. Mirrors clearml-agent's
 * reasons (stopped, status_changed, reset, not_found, exception) plus ours.
 */
export type StopReason =
  | { kind: 'user-abort' } // tasks.stop → status_message "stopping"
  | { kind: 'status-changed'; status: string } // someone else moved the status
  | { kind: 'reset' } // the task went back to created
  | { kind: 'not-found' }
  | { kind: 'shutdown' } // the agent is stopping (not drain)
  | { kind: 'local-abort' } // the tray or dashboard user pressed Abort
  | { kind: 'timeout'; limitSec: number };

export function describeStopReason(reason: StopReason): string {
  switch (reason.kind) {
    case 'user-abort':
      return 'task was stopped by tasks.stop';
    case 'status-changed':
      return `task status changed to ${reason.status}`;
    case 'reset':
      return 'task was reset';
    case 'not-found':
      return 'task no longer exists on the server';
    case 'shutdown':
      return 'agent shutdown';
    case 'local-abort':
      return 'aborted from Tray Agent';
    case 'timeout':
      return `task exceeded its time limit of ${reason.limitSec} s`;
  }
}
