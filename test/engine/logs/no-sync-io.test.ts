// The engine runs in Electron's main process, where one synchronous file call freezes the tray
// for as long as the disk takes. The log path (spool, shipper, pump, outbox), the spool lock it
// uses and the machine samplers (with their nvidia-smi query) must not make any (`readFileSync`, `writevSync`, `execSync`, …).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..', 'src-main', 'engine');
const sources = [
  ...readdirSync(join(root, 'logs')).map((f) => join('logs', f)),
  ...readdirSync(join(root, 'metrics')).map((f) => join('metrics', f)),
  join('locks', 'file-lock.ts'),
  ...readdirSync(join(root, 'process')).map((f) => join('process', f)),
  join('gpu', 'nvidia-smi-query.ts'),
].filter((f) => f.endsWith('.ts'));

/** Code without comments, so a comment that names a *Sync call does not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('no synchronous I/O in the log path and the samplers', () => {
  it.each(sources)('%s makes no *Sync call', (file) => {
    const calls = code(readFileSync(join(root, file), 'utf8')).match(/\b\w+Sync\s*\(/g) ?? [];
    expect(calls).toEqual([]);
  });

  it('looks at the modules it should', () => {
    expect(sources).toEqual(expect.arrayContaining([join('logs', 'spool.ts'), join('logs', 'shipper.ts'), join('logs', 'pump.ts'), join('logs', 'outbox.ts'), join('metrics', 'machine-stats-sampler.ts')]));
  });
});
