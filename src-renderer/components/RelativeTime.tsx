import { formatAbsolute, formatRelative } from '../lib/format.js';

/** "5 min ago", with the absolute time on hover and for screen readers' context. */
export function RelativeTime({ at }: { at: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatRelative(at)}
    </time>
  );
}
