// Pure text rules for task output, as clearml-agent applies them when it streams a task's
// console (clearml-agent-behavior §3.8): split on `\n`, collapse `\r` progress updates,
// drop backspaces and lines that are only a colour reset.

// Control characters are the point of these patterns.
/* eslint-disable no-control-regex */
const COLOR_RESET_LINE = /^\x1b\[0m\n/gm;
const TRAILING_CARRIAGE_RETURNS = /\r+\n/g;
// Greedy, so it eats everything up to the last `\r` of each line.
const UP_TO_LAST_CARRIAGE_RETURN = /^[^\n]*\r/gm;
const BACKSPACE = /\x08/g;
/* eslint-enable no-control-regex */

/**
 * Applies the console rules to `text`, which holds whole lines each ending in `\n`, and returns
 * whole lines again (possibly none).
 *
 * - backspaces (`\x08`) are removed, not interpreted;
 * - `suppressCarriageReturn` (the default): a line keeps only its last `\r` segment, so a tqdm
 *   bar shows its latest state. `\r` right before the `\n` is ignored first, so `abc\r\n`
 *   stays `abc` rather than turning into an empty line;
 * - otherwise `\r\n` is one line end and every other `\r` starts a new line;
 * - a line that is only `ESC[0m` is dropped.
 */
export function normalizeLines(text: string, suppressCarriageReturn: boolean): string {
  // Three native substring scans beat one regex scan by far on plain output.
  if (!text.includes('\r') && !text.includes('\x08') && !text.includes('\x1b[0m')) return text;
  let out = text.includes('\x08') ? text.replace(BACKSPACE, '') : text;
  if (out.includes('\r')) {
    out = suppressCarriageReturn
      ? out.replace(TRAILING_CARRIAGE_RETURNS, '\n').replace(UP_TO_LAST_CARRIAGE_RETURN, '')
      : out.replaceAll('\r\n', '\n').replaceAll('\r', '\n');
  }
  return out.includes('\x1b[0m') ? out.replace(COLOR_RESET_LINE, '') : out;
}

/**
 * The same rules for a line that has no `\n` yet but must be emitted (it waited too long or
 * grew too big). Returns whole lines ending in `\n`, or '' when nothing is left to show.
 */
export function normalizePartialLine(text: string, suppressCarriageReturn: boolean): string {
  return normalizeLines(`${text}\n`, suppressCarriageReturn);
}

/** Splits `pending + chunk` into whole lines (ending in `\n`, maybe '') and the unfinished rest. */
export function takeCompleteLines(pending: string, chunk: string): { complete: string; rest: string } {
  const lastNewline = chunk.lastIndexOf('\n');
  if (lastNewline < 0) return { complete: '', rest: pending + chunk };
  return { complete: pending + chunk.slice(0, lastNewline + 1), rest: chunk.slice(lastNewline + 1) };
}

/** Counts `\n` in `text`. */
export function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
