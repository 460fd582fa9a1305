import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_SECRET_FILE = 'token-secret';

/**
 * The HS256 signing key, made once per data dir and kept (mode 0600) so tokens survive a
 * restart. Created with O_EXCL so two starts can never write different keys.
 */
export function loadOrCreateTokenSecret(dataDir: string): Uint8Array {
  const file = join(dataDir, TOKEN_SECRET_FILE);
  try {
    writeFileSync(file, randomBytes(64).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(file, 0o600);
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/.test(hex)) {
    throw new Error(`${file} is not a token secret written by tray-agent; delete it (all issued tokens then become invalid)`);
  }
  return Buffer.from(hex, 'hex');
}
