/** The Pause choices of the tray menu and the window's header (Docker Desktop / Tailscale style). */
export const pauseChoices = [
  { id: 'hour', label: 'For 1 hour' },
  { id: 'tomorrow', label: 'Until tomorrow 08:00' },
  { id: 'indefinitely', label: 'Until I resume' },
] as const;

export type PauseChoice = (typeof pauseChoices)[number]['id'];

/** Epoch ms to pause until, or null = until resumed. "Tomorrow" is the next morning at 08:00 local time. */
export function pauseUntil(choice: PauseChoice, now: Date = new Date()): number | null {
  if (choice === 'indefinitely') return null;
  if (choice === 'hour') return now.getTime() + 3_600_000;
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 8, 0, 0, 0).getTime();
}
