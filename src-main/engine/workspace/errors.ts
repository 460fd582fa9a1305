export type WorkspaceFailureReason =
  | 'invalid workspace request'
  | 'failed cloning repository'
  | 'revision not found'
  | 'failed checking out revision'
  | 'failed applying git diff'
  | 'failed writing script'
  | 'cancelled';

/** A workspace failure; `reason` is what the agent reports as the task's status reason. */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';
  constructor(
    readonly reason: WorkspaceFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
