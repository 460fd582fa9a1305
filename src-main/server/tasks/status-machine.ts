/** Task statuses and the transitions ClearML allows without `force` (§3.2 of our API notes). */
export const TASK_STATUSES = [
  'created',
  'queued',
  'in_progress',
  'stopped',
  'published',
  'publishing',
  'closed',
  'failed',
  'completed',
  'unknown',
] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

const allowedTransitions: Record<TaskStatus, readonly TaskStatus[]> = {
  created: ['queued', 'in_progress'],
  queued: ['created', 'in_progress', 'stopped'],
  in_progress: ['stopped', 'failed', 'created', 'completed'],
  stopped: ['closed', 'created', 'failed', 'queued', 'in_progress', 'published', 'publishing', 'completed'],
  closed: ['created', 'failed', 'published', 'publishing', 'stopped'],
  failed: ['created', 'stopped', 'published', 'queued'],
  completed: ['published', 'in_progress', 'created'],
  publishing: ['published'],
  published: [],
  unknown: [],
};

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

/** Same-state moves are always allowed (agents call tasks.started several times). */
export function transitionAllowed(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || allowedTransitions[from].includes(to);
}
