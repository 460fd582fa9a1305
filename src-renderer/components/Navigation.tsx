import clsx from 'clsx';
import { Activity, Cable, CalendarClock, Cpu, LayoutDashboard, ListOrdered, ScrollText } from 'lucide-react';
import type { ComponentType } from 'react';
import { routeHash, useUiStore, type ViewName } from '../stores/ui-store.js';

const items: ReadonlyArray<{ view: ViewName; label: string; icon: ComponentType<{ size?: number; 'aria-hidden'?: boolean }> }> = [
  { view: 'overview', label: 'Overview', icon: LayoutDashboard },
  { view: 'tasks', label: 'Tasks', icon: Activity },
  { view: 'logs', label: 'Logs', icon: ScrollText },
  { view: 'gpus', label: 'GPUs', icon: Cpu },
  { view: 'queues', label: 'Queues', icon: ListOrdered },
  { view: 'schedule', label: 'Schedule', icon: CalendarClock },
  { view: 'connection', label: 'Connection', icon: Cable },
];

export function Navigation() {
  const view = useUiStore((s) => s.view);
  const go = useUiStore((s) => s.go);
  return (
    <nav className="nav" aria-label="Views">
      <ul>
        {items.map(({ view: name, label, icon: Icon }) => (
          <li key={name}>
            <a
              href={routeHash({ view: name, taskId: null })}
              className={clsx('nav-link', view === name && 'active')}
              aria-current={view === name ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                go(name);
              }}
            >
              <Icon size={18} aria-hidden={true} />
              <span>{label}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
