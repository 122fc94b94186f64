import { createHash } from 'node:crypto';
import type { Database } from '../db/data-source.js';

/**
 * pg-boss's `db` option: every statement pg-boss runs goes through our Database. On the embedded
 * database that means through the one connection behind its mutex, so pg-boss can never interleave
 * with a TypeORM transaction (the data-loss trap of notes/engine.md: a rollback of one session
 * would discard the other's committed jobs). On PostgreSQL it is the TypeORM pool: same behaviour.
 */
export interface BossDb {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
  /** Waits for every statement issued so far (pg-boss completes jobs without awaiting them). */
  drain(): Promise<void>;
}

export function bossDb(db: Database): BossDb {
  const inflight = new Set<Promise<unknown>>();
  const run = async (text: string, values: unknown[]): Promise<{ rows: unknown[] }> => {
    // Structured result: TypeORM otherwise returns [rows, count] for UPDATE / DELETE.
    const runner = db.dataSource.createQueryRunner();
    try {
      const r = (await runner.query(text, values && values.length > 0 ? values : undefined, true)) as { records?: unknown[] };
      return { rows: Array.isArray(r.records) ? r.records : [] };
    } finally {
      await runner.release();
    }
  };
  return {
    executeSql(text, values) {
      const p = run(text, values);
      inflight.add(p);
      void p.catch(() => undefined).finally(() => inflight.delete(p));
      return p;
    },
    async drain() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}

/**
 * A UUID derived from a key (name-based, RFC 9562 §5.8 layout over SHA-256). Jobs sent with a
 * derived id are idempotent: pg-boss inserts with ON CONFLICT DO NOTHING, so sending the same
 * logical job twice (after a crash between two steps) creates it once.
 */
export function jobIdFor(key: string): string {
  const h = createHash('sha256').update(`dafne-job:${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
