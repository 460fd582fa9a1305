import type { Db } from '../db/open-database.js';
import type { JsonObject } from '../http/request-params.js';

export interface StoredEvent {
  seq: number;
  doc: JsonObject;
}

/** The fields of a scalar event the charts need, read without parsing the whole document. */
export interface ScalarPoint {
  metric: string;
  variant: string;
  iter: number | null;
  value: number | null;
  timestamp: number;
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
      ofType: db.prepare<[string, string], EventRow>('SELECT seq, doc FROM events WHERE task_id = ? AND type = ? ORDER BY seq'),
      scalarPoints: db.prepare<[string], ScalarPoint>(
        "SELECT json_extract(doc, '$.metric') AS metric, json_extract(doc, '$.variant') AS variant, json_extract(doc, '$.iter') AS iter, " +
          "json_extract(doc, '$.value') AS value, timestamp FROM events WHERE task_id = ? AND type = 'training_stats_scalar' ORDER BY seq",
      ),
      metricNames: db.prepare<[string, string], { metric: string; variant: string }>(
        "SELECT DISTINCT json_extract(doc, '$.metric') AS metric, json_extract(doc, '$.variant') AS variant FROM events WHERE task_id = ? AND type = ?",
      ),
      countAll: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE task_id = ?'),
      pageAllAsc: db.prepare<[string, number, number], EventRow>('SELECT seq, doc FROM events WHERE task_id = ? ORDER BY timestamp ASC, seq ASC LIMIT ? OFFSET ?'),
      pageAllDesc: db.prepare<[string, number, number], EventRow>('SELECT seq, doc FROM events WHERE task_id = ? ORDER BY timestamp DESC, seq DESC LIMIT ? OFFSET ?'),
      pageTypeAsc: db.prepare<[string, string, number, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? ORDER BY timestamp ASC, seq ASC LIMIT ? OFFSET ?',
      ),
      pageTypeDesc: db.prepare<[string, string, number, number], EventRow>(
        'SELECT seq, doc FROM events WHERE task_id = ? AND type = ? ORDER BY timestamp DESC, seq DESC LIMIT ? OFFSET ?',
      ),
    };
  }

  insert(taskId: string, type: string, timestamp: number, doc: JsonObject): number {
    return Number(this.statements.insert.run(taskId, type, timestamp, JSON.stringify(doc)).lastInsertRowid);
  }

  count(taskId: string, type: string): number {
    return this.statements.countOfType.get(taskId, type)?.n ?? 0;
  }

  /** Every event of one type, in insertion order. */
  ofType(taskId: string, type: string): StoredEvent[] {
    return this.statements.ofType.all(taskId, type).map(toStored);
  }

  /** metric/variant/iter/value/timestamp of every scalar event, in insertion order. */
  scalarPoints(taskId: string): ScalarPoint[] {
    return this.statements.scalarPoints.all(taskId);
  }

  /** The distinct (metric, variant) pairs of one event type. */
  metricVariants(taskId: string, type: string): Array<{ metric: string; variant: string }> {
    return this.statements.metricNames.all(taskId, type);
  }

  /** A page of events by timestamp (one type, or all when `type` is null) and the total count. */
  page(taskId: string, type: string | null, order: 'asc' | 'desc', offset: number, limit: number): { events: StoredEvent[]; total: number } {
    const rows =
      type === null
        ? (order === 'asc' ? this.statements.pageAllAsc : this.statements.pageAllDesc).all(taskId, limit, offset)
        : (order === 'asc' ? this.statements.pageTypeAsc : this.statements.pageTypeDesc).all(taskId, type, limit, offset);
    const total = type === null ? (this.statements.countAll.get(taskId)?.n ?? 0) : this.count(taskId, type);
    return { events: rows.map(toStored), total };
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
