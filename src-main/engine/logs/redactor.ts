import type { Redactor, RedactingStream } from './types.js';

export const MASK = '********';

/** Shorter values would mask ordinary words and numbers all over the log (and are no real secret). */
export const MIN_SECRET_LENGTH = 4;

// `FOO_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`, `SMTP_PASS`, and the bare names.
const SECRET_ENV_NAME = /(?:^|_)(?:TOKEN|SECRET|PASSWORD|PASS|KEY)$/i;
// Flags and switches that happen to sit in a `*_KEY`-style variable are not secrets, and
// masking them would blank every `true` in the log.
const NOT_A_SECRET = new Set(['true', 'false', 'none', 'null', 'yes', 'no', 'on', 'off']);

// `scheme://user:PASSWORD@host`: the password runs to the last `@` before whitespace or the
// path, so an unencoded `@` inside it is still masked. Starting at the literal `://` lets the
// regex engine skip text quickly.
const URL_PASSWORD = /(:\/\/[^\s:/?#@]*:)[^\s/?#]+@/g;
// The end of a text that may be the start of a URL password whose `@` has not arrived yet.
const UNTERMINATED_URL_CREDENTIALS = /:(?:\/(?:\/[^\s:/?#@]*(?::[^\s/?#]*)?)?)?$/;

export interface RedactorOptions {
  /** Exact values to mask: API secret, git password/token, vault values, … */
  secrets: string[];
  /** Values of variables named like secrets (`*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_PASS`, `*_KEY`) are masked too. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds the redactor used for everything a task prints and everything the agent says about it.
 * Masks exact secret values (also in their URL-encoded form and line by line for multi-line
 * values), passwords inside URLs, and values of secret-named environment variables.
 */
export function createRedactor(opts: RedactorOptions): Redactor {
  const values = new Set<string>();
  const addValue = (raw: string): void => {
    for (const line of raw.split(/\r?\n/)) {
      const value = line.trim();
      if (value.length < MIN_SECRET_LENGTH || NOT_A_SECRET.has(value.toLowerCase())) continue;
      values.add(value);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) values.add(encoded);
    }
  };
  for (const secret of opts.secrets) if (typeof secret === 'string') addValue(secret);
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (value && SECRET_ENV_NAME.test(name)) addValue(value);
  }
  // Longest first, so a secret that contains another one is masked as a whole.
  const secrets = [...values].sort((a, b) => b.length - a.length);

  const redact = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, MASK);
    if (out.includes('://')) out = out.replace(URL_PASSWORD, `$1${MASK}@`);
    return out;
  };

  const safePrefixLength = (text: string): number => {
    let safe = text.length;
    for (const secret of secrets) {
      // The longest proper prefix of this secret that `text` ends with.
      for (let k = Math.min(secret.length - 1, text.length); k > 0; k--) {
        if (text.length - k < safe && text.endsWith(secret.slice(0, k))) {
          safe = text.length - k;
          break;
        }
      }
    }
    const url = UNTERMINATED_URL_CREDENTIALS.exec(text);
    if (url) safe = Math.min(safe, url.index);
    return safe;
  };

  const stream = (): RedactingStream => {
    let held = '';
    return {
      write(chunk: string): string {
        // Whole secrets are masked first, then the end that may begin another one is held back:
        // computed on the raw text, that end could cut a complete secret in two (a secret ending
        // in its own first letter, `tok…t`), and each half would pass unmasked.
        const text = redact(held + chunk);
        // Complete lines are always safe; only the unfinished last line may hold half a secret.
        const lineEnd = text.lastIndexOf('\n') + 1;
        const safe = lineEnd + safePrefixLength(text.slice(lineEnd));
        held = text.slice(safe);
        return text.slice(0, safe);
      },
      end(): string {
        const rest = held;
        held = '';
        return redact(rest);
      },
    };
  };

  return { redact, safePrefixLength, stream, secretCount: secrets.length };
}
