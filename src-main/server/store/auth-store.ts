import type { Db } from '../db/open-database.js';
import type { Identity } from '../identity.js';

export interface UserRecord {
  id: string;
  name: string;
  role: string;
  company: string;
  company_name: string;
  created: string;
}

export interface CredentialRecord {
  accessKey: string;
  secretSha256: string;
  userId: string;
}

/** Users, API credentials, revoked JWT sessions and the server's key/value facts. */
export class AuthStore {
  private readonly revoked = new Set<string>();
  /** When each key's last_used was last written: Basic-auth callers would otherwise write per call. */
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getUser: db.prepare<[string], { doc: string }>('SELECT doc FROM users WHERE id = ?'),
      insertUser: db.prepare('INSERT INTO users (id, doc) VALUES (?, ?)'),
      countCredentials: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM credentials'),
      getCredential: db.prepare<[string], { access_key: string; secret_sha256: string; user_id: string }>(
        'SELECT access_key, secret_sha256, user_id FROM credentials WHERE access_key = ?',
      ),
      insertCredential: db.prepare(
        'INSERT INTO credentials (access_key, secret_sha256, user_id, created) VALUES (?, ?, ?, ?)',
      ),
      touchCredential: db.prepare('UPDATE credentials SET last_used = ? WHERE access_key = ?'),
      revoke: db.prepare('INSERT OR IGNORE INTO revoked_sessions (session_id, expires) VALUES (?, ?)'),
      revokedSessions: db.prepare<[number], { session_id: string }>('SELECT session_id FROM revoked_sessions WHERE expires > ?'),
      purgeRevoked: db.prepare('DELETE FROM revoked_sessions WHERE expires <= ?'),
    };
  }

  /** Loads the revoked sessions still worth remembering (their tokens not yet expired). */
  loadRevocations(nowMs: number): void {
    const nowSec = Math.floor(nowMs / 1000);
    this.statements.purgeRevoked.run(nowSec);
    for (const row of this.statements.revokedSessions.all(nowSec)) this.revoked.add(row.session_id);
  }

  getMeta(key: string): string | undefined {
    return this.statements.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.statements.setMeta.run(key, value);
  }

  getUser(id: string): UserRecord | undefined {
    const row = this.statements.getUser.get(id);
    return row ? (JSON.parse(row.doc) as UserRecord) : undefined;
  }

  insertUser(user: UserRecord): void {
    this.statements.insertUser.run(user.id, JSON.stringify(user));
  }

  credentialCount(): number {
    return this.statements.countCredentials.get()?.n ?? 0;
  }

  getCredential(accessKey: string): CredentialRecord | undefined {
    const row = this.statements.getCredential.get(accessKey);
    return row ? { accessKey: row.access_key, secretSha256: row.secret_sha256, userId: row.user_id } : undefined;
  }

  insertCredential(record: CredentialRecord, createdMs: number): void {
    this.statements.insertCredential.run(record.accessKey, record.secretSha256, record.userId, createdMs);
  }

  /** Records use of a key, at most once a minute per key. */
  touchCredential(accessKey: string, nowMs: number): void {
    const previous = this.lastUsedWritten.get(accessKey);
    if (previous !== undefined && nowMs - previous < 60_000) return;
    this.lastUsedWritten.set(accessKey, nowMs);
    this.statements.touchCredential.run(nowMs, accessKey);
  }

  revokeSession(sessionId: string, expiresSec: number): void {
    this.statements.revoke.run(sessionId, expiresSec);
    this.revoked.add(sessionId);
  }

  isRevoked(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }
}

export function identityOf(user: UserRecord): Identity {
  return { user: user.id, company: user.company, role: user.role, user_name: user.name, company_name: user.company_name };
}
