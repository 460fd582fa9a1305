// Quit asks when a task runs, naming it and what happens to it: drain first, stop it now, or
// stay. Nothing running: quit at once.
import type { MessageBoxOptions } from 'electron';
import type { AgentSnapshot } from '../../src-shared/bridge.js';

export type QuitDecision = 'drain' | 'stop' | 'cancel';

const buttons = ['Finish the task, then quit', 'Stop the task and quit', 'Cancel'] as const;

/** The question to ask before quitting, or null when nothing runs. */
export function quitQuestion(snapshot: AgentSnapshot | null): MessageBoxOptions | null {
  const running = snapshot?.running ?? [];
  if (running.length === 0) return null;
  const names = running.map((t) => `“${t.name ?? t.id}”`).join(', ');
  return {
    type: 'question',
    title: 'Quit Tray Agent',
    message: running.length === 1 ? `A task is running: ${names}` : `${running.length} tasks are running: ${names}`,
    detail:
      'Finish: no new task is pulled; Tray Agent quits when the running ones end.\n' +
      'Stop: the task is interrupted now (Ctrl+C, then SIGTERM, then SIGKILL after the grace period) and ends as aborted on the server.',
    buttons: [...buttons],
    defaultId: 0,
    cancelId: 2,
    noLink: true,
  };
}

export function quitDecision(response: number): QuitDecision {
  return response === 0 ? 'drain' : response === 1 ? 'stop' : 'cancel';
}
