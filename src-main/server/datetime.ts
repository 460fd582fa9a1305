/**
 * ClearML renders datetimes as ISO-8601 with microseconds and an explicit UTC offset
 * (`2020-02-24T15:05:35.426000+00:00`); clients parse that form, so we store and emit it.
 */
export function isoDate(ms: number): string {
  const text = new Date(ms).toISOString();
  // `YYYY-MM-DDTHH:MM:SS.mmmZ` → `...mmm000+00:00`
  return `${text.slice(0, -1)}000+00:00`;
}

/** Epoch ms of one of our ISO strings (or any Date-parsable text); NaN when unparsable. */
export function parseIsoDate(text: unknown): number {
  return typeof text === 'string' ? Date.parse(text) : Number.NaN;
}
