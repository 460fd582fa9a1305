import type { Db } from '../db/open-database.js';

/** A queue document without its entries (they live in queue_entries, one row each). */
export interface QueueDoc {
  id: string;
  name: string;
  display_name?: string;
  company: string;
  user: string;
  created: string;
  last_update: string;
  tags: string[];
  system_tags: string[];
  metadata: Record<string, { key: string; type?: string; value?: string }>;
}

export interface QueueEntryRow {
  seq: number;
  queue_id: string;
  task_id: string;
  added: number;
}

/** Queues and their FIFO entries. Every method is synchronous: callers compose them in transactions. */
export class QueueStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM queues WHERE id = ?'),
      getByName: db.prepare<[string], { doc: string }>('SELECT doc FROM queues WHERE name = ?'),
      all: db.prepare<[], { doc: string }>('SELECT doc FROM queues ORDER BY rowid'),
      insert: db.prepare('INSERT INTO queues (id, name, doc) VALUES (?, ?, ?)'),
      update: db.prepare('UPDATE queues SET name = ?, doc = ? WHERE id = ?'),
      setLastUpdate: db.prepare("UPDATE queues SET doc = json_set(doc, '$.last_update', ?) WHERE id = ?"),
      delete: db.prepare('DELETE FROM queues WHERE id = ?'),
      entries: db.prepare<[string], QueueEntryRow>('SELECT * FROM queue_entries WHERE queue_id = ? ORDER BY seq'),
      head: db.prepare<[string], QueueEntryRow>('SELECT * FROM queue_entries WHERE queue_id = ? ORDER BY seq LIMIT 1'),
      count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM queue_entries WHERE queue_id = ?'),
      find: db.prepare<[string, string], QueueEntryRow>('SELECT * FROM queue_entries WHERE queue_id = ? AND task_id = ?'),
      queuesOfTask: db.prepare<[string], { queue_id: string }>('SELECT queue_id FROM queue_entries WHERE task_id = ?'),
      push: db.prepare('INSERT INTO queue_entries (queue_id, task_id, added) VALUES (?, ?, ?)'),
      removeEntry: db.prepare('DELETE FROM queue_entries WHERE seq = ?'),
      remove: db.prepare('DELETE FROM queue_entries WHERE queue_id = ? AND task_id = ?'),
      removeTaskEverywhere: db.prepare('DELETE FROM queue_entries WHERE task_id = ?'),
      clear: db.prepare('DELETE FROM queue_entries WHERE queue_id = ?'),
    };
  }

  get(id: string): QueueDoc | undefined {
    const row = this.statements.get.get(id);
    return row ? (JSON.parse(row.doc) as QueueDoc) : undefined;
  }

  getByName(name: string): QueueDoc | undefined {
    const row = this.statements.getByName.get(name);
    return row ? (JSON.parse(row.doc) as QueueDoc) : undefined;
  }

  all(): QueueDoc[] {
    return this.statements.all.all().map((row) => JSON.parse(row.doc) as QueueDoc);
  }

  insert(doc: QueueDoc): void {
    this.statements.insert.run(doc.id, doc.name, JSON.stringify(doc));
  }

  save(doc: QueueDoc): void {
    this.statements.update.run(doc.name, JSON.stringify(doc), doc.id);
  }

  /** Stamps last_update in place (every push and pop does this; no document round trip). */
  setLastUpdate(id: string, isoDate: string): void {
    this.statements.setLastUpdate.run(isoDate, id);
  }

  delete(id: string): void {
    this.statements.clear.run(id);
    this.statements.delete.run(id);
  }

  entries(queueId: string): QueueEntryRow[] {
    return this.statements.entries.all(queueId);
  }

  head(queueId: string): QueueEntryRow | undefined {
    return this.statements.head.get(queueId);
  }

  count(queueId: string): number {
    return this.statements.count.get(queueId)?.n ?? 0;
  }

  contains(queueId: string, taskId: string): boolean {
    return this.statements.find.get(queueId, taskId) !== undefined;
  }

  queuesOfTask(taskId: string): string[] {
    return this.statements.queuesOfTask.all(taskId).map((row) => row.queue_id);
  }

  push(queueId: string, taskId: string, addedMs: number): void {
    this.statements.push.run(queueId, taskId, addedMs);
  }

  removeEntry(seq: number): void {
    this.statements.removeEntry.run(seq);
  }

  /** Removes the task from one queue; true when it was there. */
  remove(queueId: string, taskId: string): boolean {
    return this.statements.remove.run(queueId, taskId).changes > 0;
  }

  /** Removes the task from every queue; returns the queues it was in. */
  removeEverywhere(taskId: string): string[] {
    const queues = this.queuesOfTask(taskId);
    this.statements.removeTaskEverywhere.run(taskId);
    return queues;
  }

  clear(queueId: string): string[] {
    const tasks = this.entries(queueId).map((entry) => entry.task_id);
    this.statements.clear.run(queueId);
    return tasks;
  }
}
