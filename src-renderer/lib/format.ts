// Times, durations and sizes the way the window shows them: relative with the absolute time on
// hover, durations short ("1 min 23 s"), memory in GiB.

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export function formatRelative(at: number, now: number = Date.now()): string {
  const diff = now - at;
  const future = diff < 0;
  const abs = Math.abs(diff);
  const text = abs < 45_000 ? 'a few seconds' : abs < 3_600_000 ? `${Math.round(abs / 60_000)} min` : abs < 86_400_000 ? `${Math.round(abs / 3_600_000)} h` : `${Math.round(abs / 86_400_000)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function formatClock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatAbsolute(at: number): string {
  return new Date(at).toLocaleString();
}

export function formatMiB(mib: number | null): string {
  if (mib === null) return '–';
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
