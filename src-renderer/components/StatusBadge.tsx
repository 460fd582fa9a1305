import clsx from 'clsx';
import type { TaskStatus } from '../../src-shared/bridge.js';
import { statusLabel, statusTone } from '../lib/task-status.js';

export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={clsx('badge', `tone-${statusTone(status)}`)}>
      <span className="badge-dot" aria-hidden="true" />
      {statusLabel(status)}
    </span>
  );
}
