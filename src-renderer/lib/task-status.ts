import type { TaskStatus } from '../../src-shared/bridge.js';

/** ClearML's status colours, always with a word (never colour alone). */
export function statusTone(status: TaskStatus): 'queued' | 'running' | 'completed' | 'failed' | 'stopped' | 'published' | 'neutral' {
  switch (status) {
    case 'created':
    case 'queued':
      return 'queued';
    case 'in_progress':
      return 'running';
    case 'completed':
    case 'closed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'stopped':
      return 'stopped';
    case 'published':
    case 'publishing':
      return 'published';
    default:
      return 'neutral';
  }
}

export function statusLabel(status: TaskStatus): string {
  return status === 'in_progress' ? 'running' : status === 'stopped' ? 'aborted' : status;
}
