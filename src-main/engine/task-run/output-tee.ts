// What a run shows beside the shipped log — the terminal echo and the agent host's live log —
// redacted exactly like the shipped log, so no output path shows a secret the server never sees.
import { StringDecoder } from 'node:string_decoder';
import type { Redactor, RedactingStream } from '../logs/index.js';
import type { AgentLogLevel } from './context.js';

export type TeeStream = 'stdout' | 'stderr' | 'agent';

export interface TeeLine {
  readonly stream: TeeStream;
  readonly level: 'debug' | 'info' | 'warning' | 'error' | null;
  readonly text: string;
  readonly at: number;
}

export interface OutputTee {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  agentLine(level: AgentLogLevel, text: string): void;
  /** Whatever is still held back (an unfinished line) goes out now. */
  end(): void;
}

interface StreamState {
  readonly decoder: StringDecoder;
  readonly redacting: RedactingStream;
  partial: string;
}

export function createOutputTee(options: {
  redactor: Redactor;
  /** Redacted text as it comes (the terminal). */
  echo?: (text: string) => void;
  /** Redacted whole lines (the agent host's live log). */
  onLines?: (lines: TeeLine[]) => void;
}): OutputTee {
  const { redactor, echo, onLines } = options;
  const state = (): StreamState => ({ decoder: new StringDecoder('utf8'), redacting: redactor.stream(), partial: '' });
  const streams = { stdout: state(), stderr: state() };

  const emitText = (stream: 'stdout' | 'stderr', text: string, flush: boolean): void => {
    if (text) echo?.(text);
    if (!onLines) return;
    const s = streams[stream];
    const all = s.partial + text;
    const parts = all.split('\n');
    s.partial = parts.pop() ?? '';
    if (flush && s.partial) {
      parts.push(s.partial);
      s.partial = '';
    }
    if (parts.length === 0) return;
    const at = Date.now();
    onLines(parts.map((line) => ({ stream, level: null, text: line.replace(/\r$/, ''), at })));
  };
  const write = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    const s = streams[stream];
    emitText(stream, s.redacting.write(s.decoder.write(chunk)), false);
  };
  return {
    stdout: (chunk) => write('stdout', chunk),
    stderr: (chunk) => write('stderr', chunk),
    agentLine(level, text) {
      const safe = redactor.redact(text);
      echo?.(`${safe}\n`);
      onLines?.(safe.split('\n').map((line) => ({ stream: 'agent', level: level.toLowerCase() as TeeLine['level'], text: line, at: Date.now() })));
    },
    end() {
      for (const stream of ['stdout', 'stderr'] as const) {
        const s = streams[stream];
        emitText(stream, s.redacting.write(s.decoder.end()) + s.redacting.end(), true);
      }
    },
  };
}
