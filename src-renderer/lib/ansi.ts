// ANSI colours in task output, as class-named spans (the theme picks readable colours for light
// and dark). Parsed only for the rows on screen; search works on the plain text.
import Anser from 'anser';

export interface AnsiSpan {
  readonly text: string;
  /** e.g. "ansi-red-fg ansi-bold"; empty for plain text. */
  readonly className: string;
}

export function ansiSpans(text: string): AnsiSpan[] {
  if (!text.includes('\u001b')) return [{ text, className: '' }];
  return Anser.ansiToJson(text, { use_classes: true, remove_empty: true }).map((entry) => ({
    text: entry.content,
    className: [entry.fg ? `${entry.fg}-fg` : '', entry.bg ? `${entry.bg}-bg` : '', ...entry.decorations.map((d) => `ansi-${d}`)].filter(Boolean).join(' '),
  }));
}
