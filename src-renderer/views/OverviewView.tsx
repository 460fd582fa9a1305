import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { EmptyState } from '../components/EmptyState.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatMiB } from '../lib/format.js';
import { useUiStore, type ViewName } from '../stores/ui-store.js';
import { useAgentStore } from '../stores/agent-store.js';

function ViewLink({ view, children }: { view: ViewName; children: string }) {
  const go = useUiStore((s) => s.go);
  return (
    <a
      href={`#/${view}`}
      className="link"
      onClick={(event) => {
        event.preventDefault();
        go(view);
      }}
    >
      {children}
    </a>
  );
}

/** The glance: is this workstation working for the queue, on what, and can I get my GPU back? */
export function OverviewView({ snapshot }: { snapshot: AgentSnapshot }) {
  const go = useUiStore((s) => s.go);
  const perform = useAgentStore((s) => s.perform);
  const selectedQueues = snapshot.queues.filter((q) => q.selected).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  return (
    <section aria-labelledby="overview-title" className="view">
      <h1 id="overview-title">Overview</h1>
      <div className="cards">
        <article className="card wide" aria-labelledby="now-title">
          <h2 id="now-title">Now</h2>
          {snapshot.running.length === 0 ? (
            <EmptyState title={selectedQueues.length ? `Nothing running — waiting for tasks on ${selectedQueues.length} queue${selectedQueues.length === 1 ? '' : 's'}` : 'No queues selected'}>
              {selectedQueues.length ? <>Enqueue a task from the ClearML web app or with <code>tray-agent task create</code>.</> : <>Pick a queue to start pulling tasks: <ViewLink view="queues">choose queues</ViewLink>.</>}
            </EmptyState>
          ) : (
            <ul className="plain-list">
              {snapshot.running.map((task) => {
                const phase = task.phases.find((p) => p.state === 'running');
                return (
                  <li key={task.id} className="running-line">
                    <StatusBadge status="in_progress" />
                    <a
                      href={`#/logs/${encodeURIComponent(task.id)}`}
                      className="link task-name"
                      title={task.name ?? task.id}
                      onClick={(event) => {
                        event.preventDefault();
                        go('logs', task.id);
                      }}
                    >
                      {task.name ?? task.id}
                    </a>
                    <span className="muted">
                      {task.stopping ? `stopping (${task.stopping})` : `${task.phase}${phase?.progress?.fraction != null ? ` ${Math.round(phase.progress.fraction * 100)} %` : ''}`}
                      {task.gpus.length ? ` · GPU ${task.gpus.join(', ')}` : ''}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
          <div className="card-actions">
            {snapshot.drain.draining ? (
              <button type="button" className="button" onClick={() => void perform('drain', { cancel: true }, 'Drain cancelled: pulling tasks again')}>
                Cancel drain
              </button>
            ) : (
              <button type="button" className="button" onClick={() => void perform('drain', { cancel: false }, 'Draining: running tasks finish, no new ones are pulled')}>
                Drain
              </button>
            )}
            <ViewLink view="tasks">All tasks</ViewLink>
          </div>
        </article>

        <article className="card" aria-labelledby="schedule-card-title">
          <h2 id="schedule-card-title">Schedule</h2>
          <p className={snapshot.schedule.active ? 'good' : 'warn'}>{snapshot.schedule.active ? 'Pulling tasks' : 'Not pulling tasks'}</p>
          <p className="muted">{snapshot.schedule.reason}</p>
          <ViewLink view="schedule">Edit schedule</ViewLink>
        </article>

        <article className="card" aria-labelledby="gpus-card-title">
          <h2 id="gpus-card-title">GPUs</h2>
          {snapshot.gpus.length === 0 ? (
            <EmptyState title="No NVIDIA GPU found">Tasks run on the CPU.</EmptyState>
          ) : (
            <ul className="plain-list">
              {snapshot.gpus.map((gpu) => (
                <li key={gpu.index} className="gpu-line">
                  <span>
                    GPU {gpu.index} {gpu.selected ? '' : '(not used)'}
                  </span>
                  <meter min={0} max={100} value={gpu.utilizationPct ?? 0} aria-label={`GPU ${gpu.index} utilisation`} />
                  <span className="muted">
                    {gpu.utilizationPct ?? '–'} % · {formatMiB(gpu.memoryUsedMiB)} / {formatMiB(gpu.memoryTotalMiB)}
                    {gpu.heldBy ? ' · ours' : gpu.processes.length ? ' · in use by another process' : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <ViewLink view="gpus">GPU details</ViewLink>
        </article>

        <article className="card" aria-labelledby="queues-card-title">
          <h2 id="queues-card-title">Queues</h2>
          {selectedQueues.length === 0 ? (
            <EmptyState title="No queues selected" />
          ) : (
            <ol className="plain-list">
              {selectedQueues.map((q) => (
                <li key={q.id} className="queue-line">
                  <span className="truncate" title={q.name}>
                    {q.name}
                  </span>
                  <span className="muted">{q.depth} waiting</span>
                </li>
              ))}
            </ol>
          )}
          <ViewLink view="queues">Choose queues</ViewLink>
        </article>

        <article className="card" aria-labelledby="recent-card-title">
          <h2 id="recent-card-title">Recent tasks</h2>
          {snapshot.recent.length === 0 ? (
            <EmptyState title="No finished tasks yet" />
          ) : (
            <ul className="plain-list">
              {snapshot.recent.slice(0, 4).map((task) => (
                <li key={task.id} className="recent-line">
                  <StatusBadge status={task.status} />
                  <span className="truncate" title={task.name ?? task.id}>
                    {task.name ?? task.id}
                  </span>
                  <RelativeTime at={task.finishedAt} />
                </li>
              ))}
            </ul>
          )}
        </article>

        {snapshot.errors.length > 0 ? (
          <article className="card wide" aria-labelledby="errors-card-title">
            <h2 id="errors-card-title">Recent problems</h2>
            <ul className="plain-list">
              {snapshot.errors.slice(0, 5).map((error) => (
                <li key={`${error.at}-${error.source}`} className="error-line">
                  <RelativeTime at={error.at} /> <strong>{error.source}</strong>: {error.message}
                </li>
              ))}
            </ul>
          </article>
        ) : null}
      </div>
    </section>
  );
}
