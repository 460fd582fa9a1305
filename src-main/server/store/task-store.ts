import type { Db } from '../db/open-database.js';
import { parseIsoDate } from '../datetime.js';
import type { TaskDoc } from '../tasks/task-document.js';

export interface TaskPrefilter {
  ids?: readonly string[];
  statuses?: readonly string[];
  projects?: readonly string[];
  parents?: readonly string[];
}

/** Tasks as JSON documents; status/project/parent/last_update are mirrored into indexed columns. */
export class TaskStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM tasks WHERE id = ?'),
      insert: db.prepare(
        'INSERT INTO tasks (id, status, project, parent, last_update, doc) VALUES (@id, @status, @project, @parent, @last_update, @doc)',
      ),
      update: db.prepare(
        'UPDATE tasks SET status = @status, project = @project, parent = @parent, last_update = @last_update, doc = @doc WHERE id = @id',
      ),
      delete: db.prepare('DELETE FROM tasks WHERE id = ?'),
      staleInProgress: db.prepare<[number], { doc: string }>(
        "SELECT doc FROM tasks WHERE status = 'in_progress' AND last_update < ?",
      ),
      children: db.prepare<[string], { doc: string }>('SELECT doc FROM tasks WHERE parent = ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM tasks'),
    };
  }

  get(id: string): TaskDoc | undefined {
    const row = this.statements.get.get(id);
    return row ? (JSON.parse(row.doc) as TaskDoc) : undefined;
  }

  private row(doc: TaskDoc) {
    const lastUpdate = parseIsoDate(doc.last_update);
    return {
      id: doc.id,
      status: doc.status,
      project: doc.project ?? null,
      parent: doc.parent ?? null,
      last_update: Number.isFinite(lastUpdate) ? lastUpdate : 0,
      doc: JSON.stringify(doc),
    };
  }

  insert(doc: TaskDoc): void {
    this.statements.insert.run(this.row(doc));
  }

  save(doc: TaskDoc): void {
    this.statements.update.run(this.row(doc));
  }

  delete(id: string): void {
    this.statements.delete.run(id);
  }

  count(): number {
    return this.statements.count.get()?.n ?? 0;
  }

  children(parentId: string): TaskDoc[] {
    return this.statements.children.all(parentId).map((row) => JSON.parse(row.doc) as TaskDoc);
  }

  /** in_progress tasks whose last_update is older than `beforeMs` (the watchdog's prey). */
  staleInProgress(beforeMs: number): TaskDoc[] {
    return this.statements.staleInProgress.all(beforeMs).map((row) => JSON.parse(row.doc) as TaskDoc);
  }

  /**
   * Tasks in insertion order, narrowed in SQL by the exact-value filters given. A narrowing,
   * not a guarantee: callers still apply their full filter.
   */
  list(filter: TaskPrefilter): TaskDoc[] {
    const clauses: string[] = [];
    const params: string[] = [];
    const addIn = (column: string, values: readonly string[] | undefined) => {
      // Very long lists are left to the caller's in-memory filter (SQLite caps bound parameters).
      if (!values || values.length > 500) return;
      if (values.length === 0) {
        clauses.push('0');
        return;
      }
      clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    addIn('id', filter.ids);
    addIn('status', filter.statuses);
    addIn('project', filter.projects);
    addIn('parent', filter.parents);
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = this.db.prepare<string[], { doc: string }>(`SELECT doc FROM tasks ${where} ORDER BY rowid`).all(...params);
    return rows.map((row) => JSON.parse(row.doc) as TaskDoc);
  }
}
