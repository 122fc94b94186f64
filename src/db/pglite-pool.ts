import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';
import { Mutex } from './mutex.js';

/**
 * A `pg`-compatible module for TypeORM's Postgres driver backed by one embedded PGlite instance:
 * a pool of exactly one connection behind a mutex. TypeORM obtains a connection per query runner
 * (and so per transaction) and releases it at the end, so runners can never interleave.
 */
interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: unknown[];
}

function commandOf(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)/.exec(sql);
  return match ? match[1]!.toUpperCase() : '';
}

class PGliteConnection extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(sql: string, params?: unknown[] | ((err: Error | null, res?: PgResult) => void), cb?: (err: Error | null, res?: PgResult) => void): Promise<PgResult> {
    const callback = typeof params === 'function' ? params : cb;
    const values = Array.isArray(params) ? params : undefined;
    try {
      let result: PgResult;
      if (values && values.length > 0) {
        const r = await this.db.query(sql, values);
        result = { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length, command: commandOf(sql), fields: r.fields };
      } else {
        // exec runs multi-statement scripts (migrations); TypeORM wants the last statement's result.
        const all = await this.db.exec(sql);
        const last = all[all.length - 1];
        result = { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? last?.rows.length ?? 0, command: commandOf(sql), fields: last?.fields ?? [] };
      }
      callback?.(null, result);
      return result;
    } catch (err) {
      if (callback) callback(err as Error);
      throw err;
    }
  }
}

export interface PGliteModule {
  Pool: new (options?: unknown) => unknown;
  /** Statistics for tests: how many callers are waiting for the single connection. */
  mutex: Mutex;
}

export function pgliteModule(db: PGlite, lockTimeoutMs = 60_000): PGliteModule {
  const mutex = new Mutex();
  const connection = new PGliteConnection(db);
  class Pool extends EventEmitter {
    // TypeORM passes pg connection options; none apply to an in-process database.
    constructor(_options?: unknown) {
      super();
    }
    connect(callback: (err: Error | null, conn?: PGliteConnection, release?: (err?: unknown) => void) => void): void {
      mutex.acquire(lockTimeoutMs).then(
        async (release) => {
          let done = false;
          const releaseOnce = (err?: unknown): void => {
            if (done) return;
            done = true;
            // A runner released in the middle of a transaction (an error path that forgot to
            // roll back) must not leak its open transaction into the next holder of the lock.
            if (err || db.isInTransaction?.()) {
              db.exec('ROLLBACK').catch(() => undefined).finally(release);
            } else release();
          };
          callback(null, connection, releaseOnce);
        },
        (err: Error) => callback(err),
      );
    }
    end(callback?: (err?: Error | null) => void): Promise<void> {
      const p = db.close();
      p.then(() => callback?.(null), (e: Error) => callback?.(e));
      return p;
    }
  }
  return { Pool, mutex };
}
