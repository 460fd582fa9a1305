import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import { useVirtualizer } from '@tanstack/react-virtual';
import { ArrowDown, ArrowUp, ChevronsDown, Pause } from 'lucide-react';
import type { AgentSnapshot, LogLineView } from '../../src-shared/bridge.js';
import { EmptyState } from '../components/EmptyState.js';
import { ansiSpans } from '../lib/ansi.js';
import { formatCount } from '../lib/format.js';
import { statusLabel } from '../lib/task-status.js';
import { logBuffer, useLogStore } from '../stores/log-store.js';
import { useUiStore } from '../stores/ui-store.js';

const ROW_HEIGHT = 20;

function highlighted(text: string, needle: string): ReactNode {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts;
}

// Memoised: live lines re-render the view every frame, but a row changes only with its line, the query or the mark.
const LogRow = memo(function LogRow({ line, needle, isTarget }: { line: LogLineView; needle: string; isTarget: boolean }) {
  const spans = useMemo(() => ansiSpans(line.text), [line.text]);
  return (
    <div className={clsx('log-row', line.level && `level-${line.level}`, line.stream === 'stderr' && 'stream-stderr', isTarget && 'target')} data-line={line.seq + 1}>
      <span className="log-gutter" aria-hidden="true">
        {line.seq + 1}
      </span>
      <span className="log-text">
        {spans.map((span, i) => (
          <span key={i} className={span.className || undefined}>
            {highlighted(span.text, needle)}
          </span>
        ))}
      </span>
    </div>
  );
});

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function LogsView({ snapshot }: { snapshot: AgentSnapshot }) {
  const routeTask = useUiStore((s) => s.taskId);
  const go = useUiStore((s) => s.go);
  const log = useLogStore();
  const scroller = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const ourScroll = useRef(false);
  const [jumpText, setJumpText] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);

  /** Scrolls programmatically; the scroll event that follows is ours, not the reader's. */
  const scrollTo = (element: HTMLElement, top: number) => {
    const max = Math.max(0, element.scrollHeight - element.clientHeight);
    const next = Math.min(max, Math.max(0, top));
    if (Math.abs(element.scrollTop - next) < 1) return;
    ourScroll.current = true;
    element.scrollTop = next;
  };

  const taskId = routeTask ?? snapshot.running[0]?.id ?? null;
  useEffect(() => {
    if (taskId && taskId !== useLogStore.getState().taskId) void useLogStore.getState().open(taskId);
  }, [taskId]);

  const buffer = taskId ? logBuffer(taskId) : null;
  const count = log.taskId === taskId && buffer ? buffer.lines.length : 0;
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 30 });

  // Rows have one fixed height, so positions are exact: scrolling directly takes effect in the
  // same frame (the virtualizer's scrollToIndex re-measures over several frames).
  useEffect(() => {
    const element = scroller.current;
    if (log.follow && count > 0 && element) scrollTo(element, count * ROW_HEIGHT);
  }, [log.follow, log.version, count]);

  // A following log stays at its end when the window (and so the frame) changes size.
  useEffect(() => {
    const element = scroller.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      const { follow } = useLogStore.getState();
      if (follow && element.scrollHeight > element.clientHeight) scrollTo(element, element.scrollHeight);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [taskId]);

  useEffect(() => {
    const element = scroller.current;
    if (log.target !== null && element) scrollTo(element, Math.max(0, log.target * ROW_HEIGHT - (element.clientHeight - ROW_HEIGHT) / 2));
  }, [log.target]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
      } else if (event.key === 'f') {
        event.preventDefault();
        useLogStore.getState().setFollow(!useLogStore.getState().follow);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const choices = [...snapshot.running.map((t) => ({ id: t.id, label: `${t.name ?? t.id} (running)` })), ...snapshot.recent.map((t) => ({ id: t.id, label: `${t.name ?? t.id} (${statusLabel(t.status)})` }))];
  if (taskId && !choices.some((c) => c.id === taskId)) choices.unshift({ id: taskId, label: taskId });

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    if (ourScroll.current) {
      ourScroll.current = false;
      return;
    }
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
    if (log.follow && !atBottom) log.setFollow(false);
  };

  const jump = () => {
    const n = Number(jumpText);
    if (!Number.isInteger(n) || n < 1) return setJumpError('Give a line number (1 or more).');
    if (log.jumpToLine(n)) return setJumpError(null);
    const first = buffer?.lines[0]?.seq;
    setJumpError(first === undefined ? 'The log is empty.' : `Line ${formatCount(n)} is not loaded (lines ${formatCount(first + 1)}–${formatCount(first + count)} are).`);
  };

  const needle = log.query.toLowerCase();
  return (
    <section aria-labelledby="logs-title" className="view view-logs">
      <h1 id="logs-title">Logs</h1>
      <div className="log-toolbar">
        <label className="field inline">
          <span>Task</span>
          <select value={taskId ?? ''} onChange={(event) => go('logs', event.target.value || null)}>
            {taskId ? null : <option value="">Pick a task…</option>}
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className={clsx('button', log.follow && 'pressed')} aria-pressed={log.follow} onClick={() => log.setFollow(!log.follow)} aria-keyshortcuts="f">
          {log.follow ? <ChevronsDown size={16} aria-hidden="true" /> : <Pause size={16} aria-hidden="true" />} {log.follow ? 'Following' : 'Follow'} <kbd>f</kbd>
        </button>
        <div className="search-group" role="search">
          <input
            ref={search}
            type="search"
            className="input"
            placeholder="Search  /"
            aria-label="Search the log"
            aria-keyshortcuts="/"
            value={log.query}
            onChange={(event) => log.setQuery(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') log.step(event.shiftKey ? -1 : 1);
              if (event.key === 'Escape') {
                log.setQuery('');
                (event.target as HTMLInputElement).blur();
              }
            }}
          />
          <span className="search-status" data-testid="search-status" aria-live="polite">
            {log.query ? (log.matches.length ? `${formatCount(log.current + 1)} of ${formatCount(log.matches.length)}` : 'no match') : ''}
          </span>
          <button type="button" className="icon-button" onClick={() => log.step(-1)} disabled={!log.matches.length} aria-label="Previous match">
            <ArrowUp size={16} aria-hidden="true" />
          </button>
          <button type="button" className="icon-button" onClick={() => log.step(1)} disabled={!log.matches.length} aria-label="Next match">
            <ArrowDown size={16} aria-hidden="true" />
          </button>
        </div>
        <form
          className="jump-group"
          onSubmit={(event) => {
            event.preventDefault();
            jump();
          }}
        >
          <input type="number" min={1} className="input narrow" aria-label="Go to line" placeholder="Line" value={jumpText} onChange={(event) => setJumpText(event.target.value)} />
          <button type="submit" className="button">
            Go
          </button>
        </form>
      </div>
      {jumpError ? (
        <p className="warn" role="alert">
          {jumpError}
        </p>
      ) : null}
      {log.error ? (
        <p className="bad" role="alert">
          Could not read the log: {log.error}
        </p>
      ) : null}
      {!taskId ? (
        <EmptyState title="No task to show">Logs of running and recent tasks show here; pick one in Tasks.</EmptyState>
      ) : (
        <>
          {buffer?.hasOlder && log.taskId === taskId ? (
            <button type="button" className="button small" onClick={() => void log.loadOlder()}>
              Load earlier lines
            </button>
          ) : null}
          <div className="log-frame">
            {log.loading && count === 0 ? <p className="muted log-empty">Reading the log…</p> : null}
            {!log.loading && count === 0 ? <p className="muted log-empty">No output yet.</p> : null}
            <div ref={scroller} className="log-scroller" onScroll={onScroll} tabIndex={0} aria-label={`Log of ${choices.find((c) => c.id === taskId)?.label ?? taskId}`} data-testid="log-scroller" data-lines={count}>
              <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
                {virtualizer.getVirtualItems().map((item) => {
                  const line = buffer!.lines[item.index];
                  if (!line) return null;
                  return (
                    <div key={item.key} className="log-row-slot" style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
                      <LogRow line={line} needle={needle} isTarget={log.target === item.index} />
                    </div>
                  );
                })}
              </div>
            </div>
          </div>
          <p className="muted log-footer">
            {formatCount(count)} lines{buffer?.hasOlder ? ' (earlier lines not loaded)' : ''}
          </p>
        </>
      )}
    </section>
  );
}
