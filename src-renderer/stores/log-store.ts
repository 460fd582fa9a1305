// Task logs in the page: which task is shown, its lines (LogBuffer), follow, search and jump.
// Live lines are queued and applied once per animation frame, so 5,000 lines/s cost one render
// per frame, not one per batch.
import { create } from 'zustand';
import type { LogLineView } from '../../src-shared/bridge.js';
import type { StatusBridge } from '../bridge/dashboard-client.js';
import { LogBuffer } from './log-buffer.js';

/** Lines read when a log is opened (the agent allows up to 100,000 per call). */
export const initialLogLines = 100_000;
const olderPage = 20_000;

interface LogStore {
  taskId: string | null;
  /** Bumped whenever the shown buffer changes. */
  version: number;
  loading: boolean;
  error: string | null;
  follow: boolean;
  query: string;
  /** Line indexes matching `query`, in order. */
  matches: number[];
  /** Position in `matches` of the current match, or -1. */
  current: number;
  /** Index of the line to bring into view and mark (a match or a jump). */
  target: number | null;
  open(taskId: string): Promise<void>;
  loadOlder(): Promise<void>;
  setFollow(follow: boolean): void;
  setQuery(query: string): void;
  step(direction: 1 | -1): void;
  jumpToLine(lineNumber: number): boolean;
}

const buffers = new Map<string, LogBuffer>();
const queued = new Map<string, LogLineView[]>();
let bridge: StatusBridge | null = null;
let flushScheduled = false;

/** The buffer of a task (empty until opened or lines arrive). */
export function logBuffer(taskId: string): LogBuffer {
  let buffer = buffers.get(taskId);
  if (!buffer) {
    buffer = new LogBuffer();
    buffers.set(taskId, buffer);
  }
  return buffer;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const useLogStore = create<LogStore>((set, get) => ({
  taskId: null,
  version: 0,
  loading: false,
  error: null,
  follow: true,
  query: '',
  matches: [],
  current: -1,
  target: null,

  async open(taskId) {
    set({ taskId, loading: true, error: null, matches: [], current: -1, target: null, follow: true });
    if (!bridge) return;
    try {
      const page = await bridge.call('getTaskLog', { taskId, limit: initialLogLines });
      if (get().taskId !== taskId) return;
      const buffer = logBuffer(taskId);
      // Lines that arrived live while the page was read are kept.
      const live = buffer.lines.filter((line) => line.seq >= page.nextSeq);
      buffer.reset(page.lines, page.nextSeq, page.hasOlder);
      buffer.append(live);
      const { query } = get();
      set((s) => ({ loading: false, version: s.version + 1, matches: query ? buffer.search(query) : [] }));
    } catch (error) {
      set({ loading: false, error: errorText(error) });
    }
  },

  async loadOlder() {
    const { taskId } = get();
    if (!bridge || !taskId) return;
    const buffer = logBuffer(taskId);
    try {
      const page = await bridge.call('getTaskLog', { taskId, beforeSeq: buffer.firstSeq, limit: olderPage });
      buffer.prepend(page.lines, page.hasOlder);
      const { query } = get();
      set((s) => ({ version: s.version + 1, matches: query ? buffer.search(query) : [], target: null, current: -1, follow: false }));
    } catch (error) {
      set({ error: errorText(error) });
    }
  },

  setFollow(follow) {
    set((s) => ({ follow, target: follow ? null : s.target }));
  },

  setQuery(query) {
    const { taskId } = get();
    const matches = taskId && query ? logBuffer(taskId).search(query) : [];
    // Readers of a log look for the latest occurrence first.
    const current = matches.length ? matches.length - 1 : -1;
    set((s) => ({ query, matches, current, target: current >= 0 ? matches[current]! : null, follow: query ? false : s.follow }));
  },

  step(direction) {
    const { matches, current } = get();
    if (!matches.length) return;
    const next = (current + direction + matches.length) % matches.length;
    set({ current: next, target: matches[next]!, follow: false });
  },

  jumpToLine(lineNumber) {
    const { taskId } = get();
    const index = taskId ? logBuffer(taskId).indexOfLine(lineNumber) : null;
    if (index === null) return false;
    set({ target: index, follow: false });
    return true;
  },
}));

/** New lines of the shown task are searched as they arrive, so the match count stays right. */
const droppedSeen = new Map<string, number>();

function noteAppended(taskId: string, firstNewIndex: number): void {
  const { taskId: shown, query, matches } = useLogStore.getState();
  if (shown !== taskId) return;
  const buffer = logBuffer(taskId);
  if ((droppedSeen.get(taskId) ?? 0) !== buffer.dropped) {
    // The oldest lines were dropped: every index moved, search again.
    droppedSeen.set(taskId, buffer.dropped);
    useLogStore.setState((s) => ({ version: s.version + 1, matches: query ? buffer.search(query) : [], current: -1, target: null }));
    return;
  }
  const more = query ? buffer.search(query, firstNewIndex) : [];
  useLogStore.setState((s) => ({ version: s.version + 1, matches: more.length ? [...matches, ...more] : matches }));
}

async function refill(taskId: string): Promise<void> {
  if (!bridge) return;
  const buffer = logBuffer(taskId);
  try {
    const page = await bridge.call('getTaskLog', { taskId, fromSeq: buffer.nextSeq, limit: initialLogLines });
    const before = buffer.lines.length;
    buffer.append(page.lines);
    noteAppended(taskId, Math.min(before, buffer.lines.length));
  } catch (error) {
    useLogStore.setState({ error: errorText(error) });
  }
}

function flush(): void {
  flushScheduled = false;
  for (const [taskId, lines] of queued) {
    queued.delete(taskId);
    // Only the shown task's lines are kept live; others are read when opened.
    if (useLogStore.getState().taskId !== taskId && !buffers.has(taskId)) continue;
    const buffer = logBuffer(taskId);
    const added = buffer.append(lines);
    if (added < 0) void refill(taskId);
    else if (added > 0) noteAppended(taskId, Math.max(0, buffer.lines.length - added));
  }
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
  else setTimeout(flush, 16);
}

/** Feeds live lines from the bridge into the buffers; returns the unsubscribe. */
export function connectLogs(source: StatusBridge): () => void {
  bridge = source;
  const offLines = source.on('taskLog', ({ taskId, lines }) => {
    const list = queued.get(taskId);
    if (list) for (const line of lines) list.push(line);
    else queued.set(taskId, [...lines]);
    scheduleFlush();
  });
  // After a reconnect, read what was missed.
  const offStatus = source.onStatus((status) => {
    const { taskId } = useLogStore.getState();
    if (status.state === 'open' && taskId && logBuffer(taskId).lines.length > 0) void refill(taskId);
  });
  return () => {
    offLines();
    offStatus();
  };
}

/** For tests: forget every buffer. */
export function resetLogBuffers(): void {
  buffers.clear();
  queued.clear();
}
