import type { Db } from '../db/open-database.js';

/** What we keep of a registered worker; `workers.get_all` joins names in at read time. */
export interface WorkerRecord {
  key: string;
  id: string;
  user: string;
  company: string;
  ip: string;
  register_time: number;
  register_timeout: number;
  last_activity_time: number;
  last_report_time: number | null;
  task: string | null;
  queue: string | null;
  queues: string[];
  tags: string[];
  system_tags: string[];
}

export interface RuntimeProperty {
  key: string;
  value: string;
  /** epoch ms, null = never */
  expires: number | null;
}

/**
 * Worker registrations with their time-to-live (ClearML keeps them in Redis with a TTL; we
 * keep an `expires` column and treat expired rows as absent) and runtime properties.
 */
export class WorkerStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare<[string, number], { doc: string }>('SELECT doc FROM workers WHERE key = ? AND expires > ?'),
      upsert: db.prepare(
        'INSERT INTO workers (key, id, expires, doc) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET id = excluded.id, expires = excluded.expires, doc = excluded.doc',
      ),
      delete: db.prepare('DELETE FROM workers WHERE key = ?'),
      live: db.prepare<[number], { doc: string }>('SELECT doc FROM workers WHERE expires > ? ORDER BY id'),
      purge: db.prepare('DELETE FROM workers WHERE expires <= ?'),
      properties: db.prepare<[string, number], { key: string; value: string; expires: number | null }>(
        'SELECT key, value, expires FROM worker_runtime_properties WHERE worker = ? AND (expires IS NULL OR expires > ?) ORDER BY key',
      ),
      setProperty: db.prepare(
        'INSERT INTO worker_runtime_properties (worker, key, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT (worker, key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
      ),
      deleteProperty: db.prepare('DELETE FROM worker_runtime_properties WHERE worker = ? AND key = ?'),
      purgeProperties: db.prepare('DELETE FROM worker_runtime_properties WHERE expires IS NOT NULL AND expires <= ?'),
    };
  }

  get(key: string, nowMs: number): WorkerRecord | undefined {
    const row = this.statements.get.get(key, nowMs);
    return row ? (JSON.parse(row.doc) as WorkerRecord) : undefined;
  }

  save(record: WorkerRecord): void {
    const expires = record.last_activity_time + record.register_timeout * 1000;
    this.statements.upsert.run(record.key, record.id, expires, JSON.stringify(record));
  }

  delete(key: string): boolean {
    return this.statements.delete.run(key).changes > 0;
  }

  live(nowMs: number): WorkerRecord[] {
    return this.statements.live.all(nowMs).map((row) => JSON.parse(row.doc) as WorkerRecord);
  }

  /** Drops expired registrations and runtime properties (reads already ignore them). */
  purgeExpired(nowMs: number): void {
    this.statements.purge.run(nowMs);
    this.statements.purgeProperties.run(nowMs);
  }

  properties(workerId: string, nowMs: number): RuntimeProperty[] {
    return this.statements.properties.all(workerId, nowMs);
  }

  setProperty(workerId: string, property: RuntimeProperty): void {
    this.statements.setProperty.run(workerId, property.key, property.value, property.expires);
  }

  deleteProperty(workerId: string, key: string): void {
    this.statements.deleteProperty.run(workerId, key);
  }
}
