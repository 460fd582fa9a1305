// Where the user is in the window (kept in the URL's hash, so reload and back work) and the
// theme choice.
import { create } from 'zustand';

export const views = ['overview', 'tasks', 'logs', 'gpus', 'queues', 'schedule', 'connection', 'setup'] as const;
export type ViewName = (typeof views)[number];
export type ThemeChoice = 'system' | 'light' | 'dark';

interface Route {
  view: ViewName;
  /** The task whose log is shown (logs view). */
  taskId: string | null;
}

export function parseRoute(hash: string): Route {
  const [view, taskId] = hash.replace(/^#\/?/, '').split('/');
  const known = (views as readonly string[]).includes(view ?? '') ? (view as ViewName) : 'overview';
  return { view: known, taskId: known === 'logs' && taskId ? decodeURIComponent(taskId) : null };
}

export function routeHash(route: Route): string {
  return `#/${route.view}${route.taskId ? `/${encodeURIComponent(route.taskId)}` : ''}`;
}

function readTheme(): ThemeChoice {
  try {
    const stored = localStorage.getItem('tray-agent-theme');
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

interface UiStore extends Route {
  theme: ThemeChoice;
  go(view: ViewName, taskId?: string | null): void;
  setTheme(theme: ThemeChoice): void;
}

export const useUiStore = create<UiStore>((set) => ({
  ...parseRoute(typeof location === 'undefined' ? '' : location.hash),
  theme: readTheme(),
  go(view, taskId = null) {
    const route = { view, taskId };
    set(route);
    if (typeof history !== 'undefined' && location.hash !== routeHash(route)) history.pushState(null, '', routeHash(route));
  },
  setTheme(theme) {
    try {
      localStorage.setItem('tray-agent-theme', theme);
    } catch {
      // Private windows may refuse storage; the choice then lasts for this page.
    }
    set({ theme });
  },
}));

/** Follows back/forward buttons. */
export function followLocation(page: Window): () => void {
  const onPop = () => useUiStore.setState(parseRoute(page.location.hash));
  page.addEventListener('popstate', onPop);
  page.addEventListener('hashchange', onPop);
  return () => {
    page.removeEventListener('popstate', onPop);
    page.removeEventListener('hashchange', onPop);
  };
}
