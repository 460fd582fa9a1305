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

/** The queue's state after one change: what queues.get_queue_metrics charts. */
export interface QueueMetricSample {
  timestamp: number;
  queue_length: number;
  avg_waiting_ms: number;
}

/**
 * Queues and their FIFO entries (ordered by `seq`). Every method is synchronous: callers
 * compose them in transactions. Each change of a queue's entries also records a metrics sample
 * (length and average wait at that moment), so the history of queue lengths needs no timer.
 */
export class QueueStore {
  private readonly statements;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
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
      insertAt: db.prepare('INSERT INTO queue_entries (seq, queue_id, task_id, added) VALUES (?, ?, ?, ?)'),
      seqTaken: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM queue_entries WHERE seq = ?'),
      minSeq: db.prepare<[], { seq: number | null }>('SELECT min(seq) AS seq FROM queue_entries'),
      lengthAndAdded: db.prepare<[string], { n: number; added: number | null }>(
        'SELECT count(*) AS n, avg(added) AS added FROM queue_entries WHERE queue_id = ?',
      ),
      addSample: db.prepare('INSERT INTO queue_metrics (queue_id, timestamp, queue_length, avg_waiting_ms) VALUES (?, ?, ?, ?)'),
      samples: db.prepare<[string, number, number], QueueMetricSample>(
        'SELECT timestamp, queue_length, avg_waiting_ms FROM queue_metrics WHERE queue_id = ? AND timestamp >= ? AND timestamp < ? ORDER BY timestamp, seq',
      ),
      sampleBefore: db.prepare<[string, number], QueueMetricSample>(
        'SELECT timestamp, queue_length, avg_waiting_ms FROM queue_metrics WHERE queue_id = ? AND timestamp < ? ORDER BY timestamp DESC, seq DESC LIMIT 1',
      ),
      purgeSamples: db.prepare('DELETE FROM queue_metrics WHERE timestamp < ?'),
      deleteSamples: db.prepare('DELETE FROM queue_metrics WHERE queue_id = ?'),
    };
  }

  /** Records the queue's length and average wait now (after a change of its entries). */
  private sample(queueId: string): void {
    const now = this.now();
    const row = this.statements.lengthAndAdded.get(queueId);
    const length = row?.n ?? 0;
    const avgWait = length > 0 && row?.added !== null && row?.added !== undefined ? Math.max(0, now - row.added) : 0;
    this.statements.addSample.run(queueId, now, length, avgWait);
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
    this.statements.deleteSamples.run(id);
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
    this.sample(queueId);
  }

  /** Removes one entry (a pop). */
  removeEntry(entry: QueueEntryRow): void {
    this.statements.removeEntry.run(entry.seq);
    this.sample(entry.queue_id);
  }

  /**
   * Puts a popped entry back at the head of its queue: under its old seq (smaller than every
   * entry still there, as it was the head), or below the smallest seq if that is taken.
   */
  returnToHead(entry: QueueEntryRow): void {
    let seq = entry.seq;
    if ((this.statements.seqTaken.get(seq)?.n ?? 0) > 0) seq = (this.statements.minSeq.get()?.seq ?? 1) - 1;
    this.statements.insertAt.run(seq, entry.queue_id, entry.task_id, entry.added);
    this.sample(entry.queue_id);
  }

  /** Rewrites the queue's order to `taskIds` (a permutation of its entries), keeping each `added`. */
  reorder(queueId: string, taskIds: readonly string[]): void {
    const entries = this.entries(queueId);
    const byTask = new Map(entries.map((entry) => [entry.task_id, entry]));
    const seqs = entries.map((entry) => entry.seq).sort((a, b) => a - b);
    this.statements.clear.run(queueId);
    taskIds.forEach((taskId, index) => {
      const entry = byTask.get(taskId);
      if (entry) this.statements.insertAt.run(seqs[index], queueId, taskId, entry.added);
    });
  }

  /** Removes the task from one queue; true when it was there. */
  remove(queueId: string, taskId: string): boolean {
    const removed = this.statements.remove.run(queueId, taskId).changes > 0;
    if (removed) this.sample(queueId);
    return removed;
  }

  /** Removes the task from every queue; returns the queues it was in. */
  removeEverywhere(taskId: string): string[] {
    const queues = this.queuesOfTask(taskId);
    this.statements.removeTaskEverywhere.run(taskId);
    for (const queueId of queues) this.sample(queueId);
    return queues;
  }

  clear(queueId: string): string[] {
    const tasks = this.entries(queueId).map((entry) => entry.task_id);
    this.statements.clear.run(queueId);
    if (tasks.length > 0) this.sample(queueId);
    return tasks;
  }

  /** Samples in [fromMs, toMs), oldest first. */
  metricSamples(queueId: string, fromMs: number, toMs: number): QueueMetricSample[] {
    return this.statements.samples.all(queueId, fromMs, toMs);
  }

  /** The last sample before `beforeMs`: the queue's state when a chart window opens. */
  metricSampleBefore(queueId: string, beforeMs: number): QueueMetricSample | undefined {
    return this.statements.sampleBefore.get(queueId, beforeMs);
  }

  /** Drops samples older than `beforeMs` (the maintenance pass keeps 30 days). */
  purgeMetricSamples(beforeMs: number): void {
    this.statements.purgeSamples.run(beforeMs);
  }
}
