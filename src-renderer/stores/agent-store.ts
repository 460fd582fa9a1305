// The agent as the page knows it: the latest snapshot, the transport's state, which actions are
// in flight, and notices for the ones that failed. Every action goes through `perform`, the
// page's one way to the bridge (GitHub Desktop's dispatcher role).
import { create } from 'zustand';
import type { AgentSnapshot, BridgeArgs, BridgeCallName, BridgeResult, PhaseState } from '../../src-shared/bridge.js';
import type { StatusBridge, TransportStatus } from '../bridge/dashboard-client.js';

export interface Notice {
  readonly id: number;
  readonly kind: 'error' | 'info';
  readonly text: string;
}

const snapshotCalls = new Set<BridgeCallName>(['getSnapshot', 'pause', 'resume', 'drain', 'stopTask', 'setQueues', 'setGpus', 'setSkipBusyGpus', 'setSchedule', 'reloadConfig', 'setAutostart']);

interface AgentStore {
  bridge: StatusBridge | null;
  snapshot: AgentSnapshot | null;
  transport: TransportStatus;
  /** The first snapshot could not be read. */
  loadError: string | null;
  busy: Partial<Record<BridgeCallName, boolean>>;
  notices: Notice[];
  connect(bridge: StatusBridge): () => void;
  perform<N extends BridgeCallName>(name: N, args: BridgeArgs<N>, done?: string): Promise<BridgeResult<N> | null>;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
}

let noticeId = 0;

function applyPhase(snapshot: AgentSnapshot, event: { taskId: string; phase: string; state: PhaseState; at: number; durationMs: number | null }): AgentSnapshot {
  if (!snapshot.running.some((task) => task.id === event.taskId)) return snapshot;
  return {
    ...snapshot,
    running: snapshot.running.map((task) =>
      task.id !== event.taskId
        ? task
        : {
            ...task,
            phase: event.state === 'running' ? event.phase : task.phase,
            phases: task.phases.map((p) => (p.name === event.phase ? { ...p, state: event.state, startedAt: p.startedAt ?? event.at, durationMs: event.durationMs ?? p.durationMs } : p)),
          },
    ),
  };
}

export const useAgentStore = create<AgentStore>((set, get) => ({
  bridge: null,
  snapshot: null,
  transport: { state: 'connecting' },
  loadError: null,
  busy: {},
  notices: [],

  connect(bridge) {
    set({ bridge });
    const refresh = () =>
      bridge.call('getSnapshot', {}).then(
        (snapshot) => set({ snapshot, loadError: null }),
        (error: unknown) => set({ loadError: error instanceof Error ? error.message : String(error) }),
      );
    const offs = [
      bridge.on('snapshot', (snapshot) => set({ snapshot })),
      bridge.on('phase', (event) => {
        const snapshot = get().snapshot;
        if (snapshot) set({ snapshot: applyPhase(snapshot, event) });
      }),
      bridge.onStatus((transport) => {
        set({ transport });
        // After a reconnect the snapshot may be stale: read it again.
        if (transport.state === 'open') void refresh();
      }),
    ];
    return () => offs.forEach((off) => off());
  },

  async perform(name, args, done) {
    const bridge = get().bridge;
    if (!bridge) return null;
    set((s) => ({ busy: { ...s.busy, [name]: true } }));
    try {
      const result = await bridge.call(name, args);
      if (snapshotCalls.has(name)) set({ snapshot: result as AgentSnapshot });
      if (done) get().notify('info', done);
      return result;
    } catch (error) {
      get().notify('error', error instanceof Error ? error.message : String(error));
      return null;
    } finally {
      set((s) => ({ busy: { ...s.busy, [name]: false } }));
    }
  },

  notify(kind, text) {
    const id = ++noticeId;
    set((s) => ({ notices: [...s.notices.slice(-4), { id, kind, text }] }));
    if (kind === 'info') setTimeout(() => get().dismissNotice(id), 4_000);
  },

  dismissNotice(id) {
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  },
}));
