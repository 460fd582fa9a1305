import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { schemaMigrations } from './schema.js';
import { Db } from './sqlite.js';

export type { Db } from './sqlite.js';

export const DATABASE_FILE = 'server.db';

/**
 * Opens (creating when missing) the server's SQLite file in WAL mode with
 * synchronous=NORMAL: a crash loses at most the last transactions, never consistency, and
 * commits stay cheap enough for thousands of enqueues a second.
 */
export function openDatabase(dataDir: string): { db: Db; created: boolean } {
  const file = join(dataDir, DATABASE_FILE);
  const db = new Db(file);
  try {
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > schemaMigrations.length) {
      throw new Error(
        `${file} was written by a newer tray-agent (schema ${current}, this build knows ${schemaMigrations.length}); ` +
          'upgrade tray-agent or point --data-dir at another folder',
      );
    }
    db.transaction(() => {
      for (let version = current; version < schemaMigrations.length; version++) {
        db.exec(schemaMigrations[version] as string);
      }
      db.pragma(`user_version = ${schemaMigrations.length}`);
    })();
    return { db, created: current === 0 };
  } catch (error) {
    db.close();
    throw error;
  }
}
