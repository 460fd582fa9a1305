import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';

/**
 * The one place that talks to SQLite. It wraps Node's built-in `node:sqlite` (`DatabaseSync`,
 * unflagged since Node 22.13 and part of Electron's Node) in the small synchronous API the
 * stores are written against: typed prepared statements, `pragma`, and `transaction(fn)` that
 * nests through savepoints. Being built in, it needs no native module, so installing the
 * project compiles nothing.
 */

type SqliteModule = typeof NodeSqlite;
type SqlValue = NodeSqlite.SQLInputValue;

let loaded: SqliteModule | undefined;

/**
 * Loads `node:sqlite` once. Node flags the module as experimental with one ExperimentalWarning
 * on load; that single warning is dropped here (it would otherwise print on every server start),
 * every other warning is left alone.
 */
export function loadSqlite(): SqliteModule {
  if (loaded) return loaded;
  const original = process.emitWarning;
  process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const first = rest[0];
    const type = typeof first === 'string' ? first : (first as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && text.startsWith('SQLite is an experimental feature')) return;
    (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } catch (error) {
    throw new Error(
      `the embedded server needs Node.js >= 22.13 (built-in node:sqlite); this is ${process.versions.node}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}

export interface RunResult {
  changes: number;
  lastInsertRowid: number;
}

type Params<P> = P extends readonly unknown[] ? P : [P];

/** A prepared statement; `P` are its bind parameters (a tuple, or one object of named ones). */
export interface Statement<P = unknown[], R = unknown> {
  get(...params: Params<P>): R | undefined;
  all(...params: Params<P>): R[];
  run(...params: Params<P>): RunResult;
}

export interface OpenOptions {
  readonly?: boolean;
}

function toSql(value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SqlValue;
}

/** Named parameters may be given as `{id: ...}` for `@id`; `undefined` binds as NULL. */
function bindArgs(params: readonly unknown[]): SqlValue[] | [Record<string, SqlValue>] {
  const [first] = params;
  if (params.length === 1 && first !== null && typeof first === 'object' && !ArrayBuffer.isView(first)) {
    const named: Record<string, SqlValue> = {};
    for (const [key, value] of Object.entries(first)) named[key] = toSql(value);
    return [named];
  }
  return params.map(toSql);
}

class PreparedStatement<P, R> implements Statement<P, R> {
  constructor(private readonly statement: NodeSqlite.StatementSync) {}

  get(...params: Params<P>): R | undefined {
    return this.statement.get(...(bindArgs(params) as SqlValue[])) as R | undefined;
  }

  all(...params: Params<P>): R[] {
    return this.statement.all(...(bindArgs(params) as SqlValue[])) as R[];
  }

  run(...params: Params<P>): RunResult {
    const result = this.statement.run(...(bindArgs(params) as SqlValue[]));
    return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
  }
}

/** One SQLite connection. All calls are synchronous, so a transaction never spans an await. */
export class Db {
  private readonly db: NodeSqlite.DatabaseSync;
  private depth = 0;
  private savepoints = 0;

  constructor(file: string, options: OpenOptions = {}) {
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(file, { readOnly: options.readonly === true });
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  prepare<P = unknown[], R = unknown>(sql: string): Statement<P, R> {
    return new PreparedStatement<P, R>(this.db.prepare(sql));
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** `PRAGMA <text>`; with `simple` the first column of the first row. */
  pragma(text: string, options: { simple?: boolean } = {}): unknown {
    const rows = this.db.prepare(`PRAGMA ${text}`).all() as Array<Record<string, unknown>>;
    if (!options.simple) return rows;
    const first = rows[0];
    return first ? Object.values(first)[0] : undefined;
  }

  /**
   * Wraps `fn` so each call runs in one transaction (BEGIN IMMEDIATE … COMMIT, rolled back when
   * it throws); a call inside another transaction becomes a savepoint. `fn` must not be async.
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return (...args: A): T => {
      const outer = this.depth === 0;
      const savepoint = outer ? '' : `tray_sp_${++this.savepoints}`;
      this.db.exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`);
      this.depth++;
      try {
        const result = fn(...args);
        if (result instanceof Promise) throw new TypeError('a database transaction function must not be async');
        this.depth--;
        this.db.exec(outer ? 'COMMIT' : `RELEASE ${savepoint}`);
        return result;
      } catch (error) {
        this.depth--;
        if (outer) {
          if (this.db.isTransaction) this.db.exec('ROLLBACK');
        } else {
          this.db.exec(`ROLLBACK TO ${savepoint}`);
          this.db.exec(`RELEASE ${savepoint}`);
        }
        throw error;
      }
    };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
