import { useMemo, useState } from 'react';
import clsx from 'clsx';
import { ArrowDown, ArrowUp, GripVertical } from 'lucide-react';
import type { AgentSnapshot, QueueView } from '../../src-shared/bridge.js';
import { EmptyState } from '../components/EmptyState.js';
import { useAgentStore } from '../stores/agent-store.js';

/** Picked queues first, in priority order, then the rest by name. */
export function initialQueueOrder(queues: readonly QueueView[]): { order: string[]; picked: Set<string> } {
  const picked = queues.filter((q) => q.selected).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const rest = queues.filter((q) => !q.selected).sort((a, b) => a.name.localeCompare(b.name));
  return { order: [...picked, ...rest].map((q) => q.id), picked: new Set(picked.map((q) => q.id)) };
}

export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(Math.max(0, Math.min(next.length, to)), 0, item);
  return next;
}

export function QueuesView({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const busy = useAgentStore((s) => s.busy.setQueues);
  const applied = useMemo(() => initialQueueOrder(snapshot.queues), [snapshot.queues]);
  const appliedFairness = snapshot.preferences.orderFairness;
  const appliedKey = JSON.stringify([applied.order, [...applied.picked].sort(), appliedFairness]);
  const [order, setOrder] = useState<string[]>(applied.order);
  const [picked, setPicked] = useState<Set<string>>(applied.picked);
  const [fairness, setFairness] = useState(appliedFairness);
  const [dragging, setDragging] = useState<number | null>(null);
  const revert = () => {
    setOrder(applied.order);
    setPicked(new Set(applied.picked));
    setFairness(appliedFairness);
  };
  // The draft starts again whenever what the agent applies changes (saved here or elsewhere).
  const [seenKey, setSeenKey] = useState(appliedKey);
  if (seenKey !== appliedKey) {
    setSeenKey(appliedKey);
    revert();
  }

  const byId = new Map(snapshot.queues.map((q) => [q.id, q]));
  const rows = order.map((id) => byId.get(id)).filter((q): q is QueueView => q !== undefined);
  const chosen = rows.filter((q) => picked.has(q.id));
  const dirty = JSON.stringify([order, [...picked].sort(), fairness]) !== appliedKey;

  return (
    <section aria-labelledby="queues-title" className="view">
      <h1 id="queues-title">Queues</h1>
      <p className="muted">Tasks are pulled from the checked queues, the first one first (drag or use the arrows to reorder).</p>
      {rows.length === 0 ? (
        <EmptyState title="The server has no queues yet">
          Create one in the ClearML web app, or enqueue a task with <code>tray-agent task create --queue default</code>.
        </EmptyState>
      ) : (
        <ol className="queue-list" aria-label="Queues in priority order">
          {rows.map((queue, index) => {
            const isPicked = picked.has(queue.id);
            return (
              <li
                key={queue.id}
                className={clsx('queue-row', isPicked && 'picked', dragging === index && 'dragging')}
                draggable
                onDragStart={(event) => {
                  setDragging(index);
                  event.dataTransfer.effectAllowed = 'move';
                  event.dataTransfer.setData('text/plain', queue.id);
                }}
                onDragOver={(event) => {
                  event.preventDefault();
                  if (dragging !== null && dragging !== index) {
                    setOrder(moveItem(order, dragging, index));
                    setDragging(index);
                  }
                }}
                onDragEnd={() => setDragging(null)}
                onDrop={(event) => {
                  event.preventDefault();
                  setDragging(null);
                }}
                data-testid={`queue-row-${queue.name}`}
              >
                <GripVertical size={16} className="grip" aria-hidden="true" />
                <label className="check queue-pick">
                  <input
                    type="checkbox"
                    checked={isPicked}
                    onChange={(event) => {
                      const next = new Set(picked);
                      if (event.target.checked) next.add(queue.id);
                      else next.delete(queue.id);
                      setPicked(next);
                    }}
                  />
                  <span className="truncate queue-name" title={queue.name}>
                    {queue.name}
                  </span>
                </label>
                <span className="queue-depth">{queue.depth} waiting</span>
                <span className="queue-tags">
                  {queue.forceWorkers ? <span className={clsx('tag', queue.forceWorkers === 'off' ? 'tag-warn' : 'tag-good')}>force_workers:{queue.forceWorkers}</span> : null}
                  {queue.tags
                    .filter((tag) => !tag.startsWith('force_workers:'))
                    .map((tag) => (
                      <span key={tag} className="tag">
                        {tag}
                      </span>
                    ))}
                </span>
                <span className="queue-move">
                  <button type="button" className="icon-button" disabled={index === 0} onClick={() => setOrder(moveItem(order, index, index - 1))} aria-label={`Move ${queue.name} up`}>
                    <ArrowUp size={16} aria-hidden="true" />
                  </button>
                  <button type="button" className="icon-button" disabled={index === rows.length - 1} onClick={() => setOrder(moveItem(order, index, index + 1))} aria-label={`Move ${queue.name} down`}>
                    <ArrowDown size={16} aria-hidden="true" />
                  </button>
                </span>
              </li>
            );
          })}
        </ol>
      )}
      <label className="switch">
        <input type="checkbox" checked={fairness} onChange={(event) => setFairness(event.target.checked)} />
        <span>Fairness: take turns between the queues instead of always emptying the first one (--order-fairness)</span>
      </label>
      <div className="card-actions">
        <button
          type="button"
          className="button primary"
          disabled={!dirty || busy}
          onClick={() => void perform('setQueues', { queues: chosen.map((q) => q.name), orderFairness: fairness }, chosen.length ? `Pulling from ${chosen.map((q) => q.name).join(', ')}` : 'No queue selected: no tasks are pulled')}
        >
          Save queue choice
        </button>
        {dirty ? (
          <button type="button" className="button" onClick={revert}>
            Revert
          </button>
        ) : null}
        {chosen.length === 0 ? <span className="warn">No queue checked: the agent pulls nothing.</span> : null}
      </div>
    </section>
  );
}
