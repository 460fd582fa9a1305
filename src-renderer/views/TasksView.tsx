import { useState } from 'react';
import { ScrollText, Square } from 'lucide-react';
import type { AgentSnapshot, RunningTaskView } from '../../src-shared/bridge.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EmptyState } from '../components/EmptyState.js';
import { PhaseTimeline } from '../components/PhaseTimeline.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatDuration } from '../lib/format.js';
import { useAgentStore } from '../stores/agent-store.js';
import { useUiStore } from '../stores/ui-store.js';

export function TasksView({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const go = useUiStore((s) => s.go);
  const [aborting, setAborting] = useState<RunningTaskView | null>(null);
  return (
    <section aria-labelledby="tasks-title" className="view">
      <h1 id="tasks-title">Tasks</h1>
      <h2>Running</h2>
      {snapshot.running.length === 0 ? (
        <EmptyState title="No task is running">Tasks pulled from the selected queues show here with their phases and log.</EmptyState>
      ) : (
        <ul className="task-cards">
          {snapshot.running.map((task) => (
            <li key={task.id} className="card task-card">
              <div className="task-head">
                <StatusBadge status="in_progress" />
                <h3 className="task-name" title={task.name ?? task.id}>
                  {task.name ?? task.id}
                </h3>
              </div>
              <p className="muted task-meta">
                <span>id {task.id.slice(0, 8)}</span>
                <span>queue {task.queueName ?? '–'}</span>
                <span>worker {task.workerId}</span>
                <span>{task.executor}</span>
                <span>{task.gpus.length ? `GPU ${task.gpus.join(', ')}` : 'no GPU'}</span>
                <span>
                  started <RelativeTime at={task.startedAt} />
                </span>
              </p>
              <PhaseTimeline phases={task.phases} label={`Phases of ${task.name ?? task.id}`} />
              {task.stopping ? <p className="warn">Stopping: {task.stopping}</p> : null}
              <div className="card-actions">
                <button type="button" className="button" onClick={() => go('logs', task.id)}>
                  <ScrollText size={16} aria-hidden="true" /> Log
                </button>
                <button type="button" className="button danger" disabled={task.stopping !== null} onClick={() => setAborting(task)}>
                  <Square size={16} aria-hidden="true" /> Abort
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}

      <h2>Recent</h2>
      {snapshot.recent.length === 0 ? (
        <EmptyState title="No finished tasks yet" />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Task</th>
              <th scope="col">Finished</th>
              <th scope="col">Took</th>
              <th scope="col">Reason</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {snapshot.recent.map((task) => (
              <tr key={task.id}>
                <td>
                  <StatusBadge status={task.status} />
                </td>
                <td className="cell-task">
                  <details>
                    <summary className="truncate" title={task.name ?? task.id}>
                      {task.name ?? task.id}
                    </summary>
                    <PhaseTimeline phases={task.phases} label={`Phases of ${task.name ?? task.id}`} />
                  </details>
                </td>
                <td>
                  <RelativeTime at={task.finishedAt} />
                </td>
                <td>{formatDuration(task.finishedAt - task.startedAt)}</td>
                <td className="cell-reason">
                  {task.statusReason ?? ''}
                  {task.exitCode !== null && task.exitCode !== 0 && !/exit code/i.test(task.statusReason ?? '') ? ` (exit code ${task.exitCode})` : ''}
                </td>
                <td>
                  <button type="button" className="button small" onClick={() => go('logs', task.id)} aria-label={`Log of ${task.name ?? task.id}`}>
                    Log
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {aborting ? (
        <ConfirmDialog
          title={`Abort “${aborting.name ?? aborting.id}”?`}
          onCancel={() => setAborting(null)}
          choices={[
            {
              label: 'Abort task',
              tone: 'danger',
              onChoose: () => {
                const task = aborting;
                setAborting(null);
                void perform('stopTask', { taskId: task.id }, `Aborting ${task.name ?? task.id}`);
              },
            },
          ]}
        >
          <p>The task is interrupted (Ctrl+C, then SIGTERM, then SIGKILL after the grace period) and ends as aborted on the server. Its outputs so far stay.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
