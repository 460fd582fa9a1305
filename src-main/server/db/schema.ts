/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Objects
 * are JSON documents (the shape clients see) plus the indexed columns we filter and sort on.
 * Never edit a shipped migration: append a new one.
 */
export const schemaMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE credentials (
    access_key TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created INTEGER NOT NULL,
    last_used INTEGER
  );
  CREATE TABLE revoked_sessions (session_id TEXT PRIMARY KEY, expires INTEGER NOT NULL);
  CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    project TEXT,
    parent TEXT,
    last_update INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX tasks_by_status ON tasks (status, last_update);
  CREATE INDEX tasks_by_project ON tasks (project);
  CREATE INDEX tasks_by_parent ON tasks (parent);
  CREATE TABLE queues (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
  CREATE TABLE queue_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    added INTEGER NOT NULL,
    UNIQUE (queue_id, task_id)
  );
  CREATE INDEX queue_entries_by_queue ON queue_entries (queue_id, seq);
  CREATE INDEX queue_entries_by_task ON queue_entries (task_id);
  CREATE TABLE workers (key TEXT PRIMARY KEY, id TEXT NOT NULL, expires INTEGER NOT NULL, doc TEXT NOT NULL);
  CREATE TABLE worker_runtime_properties (
    worker TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires INTEGER,
    PRIMARY KEY (worker, key)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    type TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX events_by_task ON events (task_id, type, timestamp, seq);
  -- rowid (seq) order within (task, type): what after_seq follow-reads scan.
  CREATE INDEX events_by_task_seq ON events (task_id, type);
  `,
  `
  CREATE TABLE models (
    id TEXT PRIMARY KEY,
    task TEXT,
    project TEXT,
    last_update INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX models_by_task ON models (task);
  CREATE INDEX models_by_project ON models (project);
  -- One row per change of a queue's length (push, pop, removal): queues.get_queue_metrics.
  CREATE TABLE queue_metrics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    queue_length INTEGER NOT NULL,
    avg_waiting_ms REAL NOT NULL
  );
  CREATE INDEX queue_metrics_by_queue ON queue_metrics (queue_id, timestamp);
  `,
];
