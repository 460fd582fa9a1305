import type { Db } from '../db/open-database.js';
import type { JsonObject } from '../http/request-params.js';

export interface StoredEvent {
  seq: number;
  doc: JsonObject;
}

interface EventRow {
  seq: number;
  doc: string;
}

/** Task events (logs, scalars, plots...) in insertion order; `seq` is the autoincrement key. */
export class EventStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare('INSERT INTO events (task_id, type, timestamp, doc) VALUES (?, ?, ?, ?)'),
      countOfType: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM events WHERE task_id = ? AND type = ?'),
      deleteForTask: db.prepare('DELETE FROM events WHERE task_id = ?'),
      afterSeq: db.prepare<[string, string, number, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      latest: db.prepare<[string, string, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? ORDER BY timestamp DESC, seq DESC LIMIT ?',
      ),
      earliest: db.prepare<[string, string, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? ORDER BY timestamp ASC, seq ASC LIMIT ?',
      ),
      before: db.prepare<[string, string, number, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? AND timestamp < ? ORDER BY timestamp DESC, seq DESC LIMIT ?',
      ),
      after: db.prepare<[string, string, number, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? AND timestamp > ? ORDER BY timestamp ASC, seq ASC LIMIT ?',
      ),
    };
  }

  insert(taskId: string, type: string, timestamp: number, doc: JsonObject): number {
    return Number(this.statements.insert.run(taskId, type, timestamp, JSON.stringify(doc)).lastInsertRowid);
  }

  count(taskId: string, type: string): number {
    return this.statements.countOfType.get(taskId, type)?.n ?? 0;
  }

  deleteForTask(taskId: string): number {
    return this.statements.deleteForTask.run(taskId).changes;
  }

  /** Events with seq > afterSeq, ascending (our follow extension). */
  afterSeq(taskId: string, type: string, afterSeq: number, limit: number): StoredEvent[] {
    return this.statements.afterSeq.all(taskId, type, afterSeq, limit).map(toStored);
  }

  /**
   * ClearML's log navigation: `earlier` walks back from `fromTimestamp` (or the newest event),
   * otherwise forward from it (or the oldest). Returned in walk order.
   */
  navigate(taskId: string, type: string, earlier: boolean, fromTimestamp: number | undefined, limit: number): StoredEvent[] {
    const rows =
      fromTimestamp === undefined
        ? (earlier ? this.statements.latest : this.statements.earliest).all(taskId, type, limit)
        : (earlier ? this.statements.before : this.statements.after).all(taskId, type, fromTimestamp, limit);
    return rows.map(toStored);
  }
}

function toStored(row: EventRow): StoredEvent {
  return { seq: row.seq, doc: JSON.parse(row.doc) as JsonObject };
}
