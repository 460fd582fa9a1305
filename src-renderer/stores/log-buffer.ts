// One task's log in the page: lines in seq order with their plain lower-case text for search
// (ANSI codes stripped once, at arrival). Held outside React; the log store bumps a version.
import type { LogLineView } from '../../src-shared/bridge.js';

/** Lines kept per task; older ones can be read again from the agent ("load earlier"). */
export const maxLinesInPage = 300_000;

// eslint-disable-next-line no-control-regex -- ESC is exactly what an ANSI sequence starts with
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function plainText(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

export class LogBuffer {
  lines: LogLineView[] = [];
  /** `plain(lines[i]).toLowerCase()`, for search. */
  lower: string[] = [];
  /** The seq the agent sends next; lines below `firstSeq` were left out or dropped. */
  nextSeq = 0;
  hasOlder = false;
  /** Lines dropped from the front so far (indexes shift by this much). */
  dropped = 0;

  get firstSeq(): number {
    return this.lines[0]?.seq ?? this.nextSeq;
  }

  /** Appends lines in order; returns how many were new, or -1 when a gap needs a re-read from `nextSeq`. */
  append(lines: readonly LogLineView[]): number {
    let added = 0;
    for (const line of lines) {
      if (line.seq < this.nextSeq) continue;
      if (line.seq > this.nextSeq && this.lines.length > 0) return added > 0 ? added : -1;
      this.lines.push(line);
      this.lower.push(plainText(line.text).toLowerCase());
      this.nextSeq = line.seq + 1;
      added += 1;
    }
    this.trim();
    return added;
  }

  /** Older lines before the first one (a "load earlier" page). */
  prepend(lines: readonly LogLineView[], hasOlder: boolean): number {
    const older = lines.filter((line) => line.seq < this.firstSeq);
    this.lines = [...older, ...this.lines];
    this.lower = [...older.map((line) => plainText(line.text).toLowerCase()), ...this.lower];
    this.hasOlder = hasOlder;
    return older.length;
  }

  reset(lines: readonly LogLineView[], nextSeq: number, hasOlder: boolean): void {
    this.lines = [...lines];
    this.lower = lines.map((line) => plainText(line.text).toLowerCase());
    this.nextSeq = Math.max(nextSeq, (lines.at(-1)?.seq ?? -1) + 1);
    this.hasOlder = hasOlder;
    this.trim();
  }

  /** Indexes of lines containing `query` (case-insensitive), from index `from` on. */
  search(query: string, from = 0): number[] {
    const needle = query.toLowerCase();
    const found: number[] = [];
    const lower = this.lower;
    for (let i = from; i < lower.length; i += 1) if (lower[i]!.includes(needle)) found.push(i);
    return found;
  }

  /** Index of the line numbered `lineNumber` (1-based, = seq + 1), or null when not in the page. */
  indexOfLine(lineNumber: number): number | null {
    const seq = lineNumber - 1;
    let low = 0;
    let high = this.lines.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const at = this.lines[mid]!.seq;
      if (at === seq) return mid;
      if (at < seq) low = mid + 1;
      else high = mid - 1;
    }
    return null;
  }

  private trim(): void {
    // Trimmed in steps of a tenth, not per batch: splicing a 300k-line array costs.
    if (this.lines.length <= maxLinesInPage * 1.1) return;
    const excess = this.lines.length - maxLinesInPage;
    this.lines.splice(0, excess);
    this.lower.splice(0, excess);
    this.dropped += excess;
    this.hasOlder = true;
  }
}
