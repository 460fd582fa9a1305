/**
 * Splits a command-line fragment into words the way a POSIX shell does, without expanding
 * anything: `--a "b c" 'd e' f\ g` → ['--a', 'b c', 'd e', 'f g']. Returns null when a quote is
 * left open, so the caller can name the input that is wrong.
 */
export function splitShellWords(text: string): string[] | null {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let index = 0; index < text.length; index += 1) {
    const ch = text[index] as string;
    if (ch === "'") {
      const close = text.indexOf("'", index + 1);
      if (close < 0) return null;
      current += text.slice(index + 1, close);
      index = close;
      inWord = true;
    } else if (ch === '"') {
      let closed = false;
      for (index += 1; index < text.length; index += 1) {
        const inner = text[index] as string;
        if (inner === '"') {
          closed = true;
          break;
        }
        if (inner === '\\' && index + 1 < text.length && '"\\$`\n'.includes(text[index + 1] as string)) {
          index += 1;
          current += text[index];
        } else {
          current += inner;
        }
      }
      if (!closed) return null;
      inWord = true;
    } else if (ch === '\\') {
      if (index + 1 < text.length) {
        index += 1;
        if (text[index] !== '\n') current += text[index];
      }
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
