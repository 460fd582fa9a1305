import { useEffect, useId, useRef, useState } from 'react';
import { ChevronDown, Pause, Play } from 'lucide-react';
import type { AgentSnapshot } from '../../src-shared/bridge.js';
import { pauseChoices, pauseUntil } from '../../src-shared/pause-choices.js';
import { useAgentStore } from '../stores/agent-store.js';
import { formatClock } from '../lib/format.js';

/** The window's one big control: Pause ▾ (1 h / until tomorrow / until resumed), or Resume. */
export function PauseControl({ snapshot }: { snapshot: AgentSnapshot }) {
  const perform = useAgentStore((s) => s.perform);
  const busy = useAgentStore((s) => s.busy.pause || s.busy.resume);
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const wrapper = useRef<HTMLDivElement>(null);
  const force = snapshot.schedule.force;

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  if (force?.value === 'off') {
    return (
      <button type="button" className="button primary big" disabled={busy} onClick={() => void perform('resume', { force: false }, 'Resumed: pulling tasks again')}>
        <Play size={16} aria-hidden="true" /> Resume
        <span className="button-note">{force.expiresAt ? `paused until ${formatClock(force.expiresAt)}` : 'paused'}</span>
      </button>
    );
  }
  return (
    <div className="menu-wrapper" ref={wrapper}>
      <button type="button" className="button big" aria-expanded={open} aria-controls={menuId} disabled={busy} onClick={() => setOpen(!open)}>
        <Pause size={16} aria-hidden="true" /> Pause <ChevronDown size={14} aria-hidden="true" />
      </button>
      {open ? (
        <ul id={menuId} className="menu" aria-label="Pause for how long">
          {pauseChoices.map((choice) => (
            <li key={choice.id}>
              <button
                type="button"
                className="menu-item"
                autoFocus={choice.id === 'hour'}
                onClick={() => {
                  setOpen(false);
                  void perform('pause', { until: pauseUntil(choice.id) }, `Paused ${choice.label.charAt(0).toLowerCase()}${choice.label.slice(1)}: running tasks finish, no new ones are pulled`);
                }}
              >
                {choice.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
