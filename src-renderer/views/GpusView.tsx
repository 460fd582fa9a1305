import { useState } from 'react';
import type { AgentSnapshot, GpuView } from '../../src-shared/bridge.js';
import { EmptyState } from '../components/EmptyState.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatMiB } from '../lib/format.js';
import { useAgentStore } from '../stores/agent-store.js';

/** `--gpus` text for a set of picked indexes: null (= configured default / all) when every GPU is picked. */
export function gpusSpec(all: readonly GpuView[], picked: ReadonlySet<number>): string | null {
  if (picked.size === all.length) return null;
  return [...picked].sort((a, b) => a - b).join(',');
}

function Holder({ gpu }: { gpu: GpuView }) {
  if (gpu.heldBy) {
    return (
      <p className="holder ours">
        Running <strong className="truncate">{gpu.heldBy.taskName ?? gpu.heldBy.taskId}</strong>
        {gpu.heldBy.fraction < 1 ? ` (${gpu.heldBy.fraction} GPU)` : ''}
      </p>
    );
  }
  const foreign = gpu.processes.filter((p) => p.taskId === null);
  if (foreign.length) {
    return (
      <div className="holder foreign">
        <p>In use by a process that is not ours:</p>
        <ul className="plain-list">
          {foreign.map((p) => (
            <li key={p.pid}>
              {p.name} (pid {p.pid}
              {p.memoryMiB !== null ? `, ${formatMiB(p.memoryMiB)}` : ''})
            </li>
          ))}
        </ul>
      </div>
    );
  }
  return <p className="holder free muted">Free</p>;
}

export function GpusView({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const applied = new Set(snapshot.gpus.filter((g) => g.selected).map((g) => g.index));
  const appliedKey = [...applied].sort().join(',');
  const [picked, setPicked] = useState<Set<number>>(applied);
  // The draft starts again whenever what the agent applies changes.
  const [seenKey, setSeenKey] = useState(appliedKey);
  if (seenKey !== appliedKey) {
    setSeenKey(appliedKey);
    setPicked(applied);
  }
  const dirty = [...picked].sort().join(',') !== appliedKey;
  const dynamic = snapshot.workers.some((w) => w.mode === 'dynamic-gpus');
  const dynamicQueues = snapshot.queues.filter((q) => q.selected && q.gpusPerTask !== null);

  return (
    <section aria-labelledby="gpus-title" className="view">
      <h1 id="gpus-title">GPUs</h1>
      <div className="toggle-row">
        <label className="switch">
          <input type="checkbox" checked={snapshot.preferences.skipBusyGpus} onChange={(event) => void perform('setSkipBusyGpus', { enabled: event.target.checked })} />
          <span>Yield to my own GPU use</span>
        </label>
        <p className="muted">When a process that is not a task of this agent uses a GPU (your notebook), wait instead of starting a task on it (agent.skip_busy_gpus).</p>
      </div>
      {snapshot.gpus.length === 0 ? (
        <EmptyState title="No NVIDIA GPU found">nvidia-smi is missing or lists no GPU; tasks run on the CPU.</EmptyState>
      ) : (
        <>
          <fieldset className="gpu-grid">
            <legend>GPUs this agent may use</legend>
            {snapshot.gpus.map((gpu) => (
              <article key={gpu.index} className="card gpu-card" aria-labelledby={`gpu-${gpu.index}-title`}>
                <div className="gpu-head">
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={picked.has(gpu.index)}
                      onChange={(event) => {
                        const next = new Set(picked);
                        if (event.target.checked) next.add(gpu.index);
                        else next.delete(gpu.index);
                        setPicked(next);
                      }}
                    />
                    <span id={`gpu-${gpu.index}-title`}>
                      GPU {gpu.index} · {gpu.name}
                    </span>
                  </label>
                  <span className="muted">{gpu.temperatureC !== null ? `${gpu.temperatureC} °C` : ''}</span>
                </div>
                <div className="gpu-metric">
                  <span>Utilisation {gpu.utilizationPct ?? '–'} %</span>
                  <Sparkline className="sparkline spark-util" at={gpu.history.at} values={gpu.history.utilizationPct} max={100} label={`GPU ${gpu.index} utilisation, now ${gpu.utilizationPct ?? 'unknown'} %`} />
                </div>
                <div className="gpu-metric">
                  <span>
                    Memory {formatMiB(gpu.memoryUsedMiB)} of {formatMiB(gpu.memoryTotalMiB)}
                  </span>
                  <Sparkline className="sparkline spark-mem" at={gpu.history.at} values={gpu.history.memoryUsedMiB} max={gpu.memoryTotalMiB ?? 1} label={`GPU ${gpu.index} memory, now ${formatMiB(gpu.memoryUsedMiB)} used`} />
                </div>
                <Holder gpu={gpu} />
              </article>
            ))}
          </fieldset>
          <div className="card-actions">
            <button type="button" className="button primary" disabled={!dirty || picked.size === 0} onClick={() => void perform('setGpus', { gpus: gpusSpec(snapshot.gpus, picked) }, 'GPU choice saved; it applies to the next task')}>
              Use these GPUs
            </button>
            {picked.size === 0 ? <span className="warn">Pick at least one GPU.</span> : null}
            {dirty ? (
              <button type="button" className="button" onClick={() => setPicked(new Set(applied))}>
                Revert
              </button>
            ) : null}
          </div>
        </>
      )}
      {dynamic ? (
        <>
          <h2>GPUs per task (dynamic mode)</h2>
          {dynamicQueues.length === 0 ? (
            <EmptyState title="No queue sets a GPU count" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  <th scope="col">GPUs per task</th>
                  <th scope="col">Waiting</th>
                </tr>
              </thead>
              <tbody>
                {dynamicQueues.map((q) => (
                  <tr key={q.id}>
                    <td className="truncate" title={q.name}>
                      {q.name}
                    </td>
                    <td>{q.gpusPerTask}</td>
                    <td>{q.depth}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}
