import type { Db } from '../db/open-database.js';
import { parseIsoDate } from '../datetime.js';
import type { JsonObject } from '../http/request-params.js';

/** A model as stored and returned (ClearML's Model document). */
export interface ModelDoc {
  id: string;
  name: string;
  user: string;
  company: string;
  created: string;
  last_update: string;
  uri: string;
  ready: boolean;
  task?: string | null;
  parent?: string | null;
  project?: string | null;
  framework?: string | null;
  comment: string;
  tags: string[];
  system_tags: string[];
  design: JsonObject;
  labels: Record<string, number>;
  ui_cache: JsonObject;
  metadata: Record<string, { key: string; type?: string; value?: string }>;
  last_iteration?: number;
  last_metrics?: JsonObject;
  [key: string]: unknown;
}

/** Models as JSON documents; task/project/last_update mirrored into indexed columns. */
export class ModelStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM models WHERE id = ?'),
      insert: db.prepare('INSERT INTO models (id, task, project, last_update, doc) VALUES (@id, @task, @project, @last_update, @doc)'),
      update: db.prepare('UPDATE models SET task = @task, project = @project, last_update = @last_update, doc = @doc WHERE id = @id'),
      delete: db.prepare('DELETE FROM models WHERE id = ?'),
      byTask: db.prepare<[string], { doc: string }>('SELECT doc FROM models WHERE task = ? ORDER BY rowid'),
      all: db.prepare<[], { doc: string }>('SELECT doc FROM models ORDER BY rowid'),
    };
  }

  private row(doc: ModelDoc) {
    const lastUpdate = parseIsoDate(doc.last_update);
    return {
      id: doc.id,
      task: doc.task ?? null,
      project: doc.project ?? null,
      last_update: Number.isFinite(lastUpdate) ? lastUpdate : 0,
      doc: JSON.stringify(doc),
    };
  }

  get(id: string): ModelDoc | undefined {
    const row = this.statements.get.get(id);
    return row ? (JSON.parse(row.doc) as ModelDoc) : undefined;
  }

  insert(doc: ModelDoc): void {
    this.statements.insert.run(this.row(doc));
  }

  save(doc: ModelDoc): void {
    this.statements.update.run(this.row(doc));
  }

  delete(id: string): boolean {
    return this.statements.delete.run(id).changes > 0;
  }

  /** Models whose creating task is `taskId`, oldest first. */
  byTask(taskId: string): ModelDoc[] {
    return this.statements.byTask.all(taskId).map((row) => JSON.parse(row.doc) as ModelDoc);
  }

  all(): ModelDoc[] {
    return this.statements.all.all().map((row) => JSON.parse(row.doc) as ModelDoc);
  }

  /** Models narrowed in SQL by id (when given); callers apply their full filter. */
  list(ids: readonly string[] | undefined): ModelDoc[] {
    if (!ids || ids.length > 500) return this.all();
    if (ids.length === 0) return [];
    const rows = this.db.prepare<string[], { doc: string }>(`SELECT doc FROM models WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY rowid`).all(...ids);
    return rows.map((row) => JSON.parse(row.doc) as ModelDoc);
  }
}
