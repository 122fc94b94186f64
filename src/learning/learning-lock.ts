import type { QueryRunner } from 'typeorm';
import type { Database } from '../db/data-source.js';

/** Another run holds the lock: in this process, or in another process on the same database. */
export class LearningBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LearningBusyError';
  }
}

/** pg advisory lock key of learning runs ("dafne-learning", stable across versions). */
export const LEARNING_LOCK_KEY = 0x64616c6e; // 'daln'

/**
 * One learning run per database at a time: the nightly tick, `dafne-node train` and
 * POST /api/v1/learning/runs all take this lock, and a second one is refused with a clear message
 * instead of waiting (a run takes minutes).
 *
 * - PostgreSQL: a session advisory lock held on a dedicated connection for the whole run; if the
 *   process dies, PostgreSQL drops the session and with it the lock (no stale lock).
 * - PGlite: the data directory already belongs to one process (its lock file); within the process a
 *   flag guards. (PGlite has one session, so its advisory locks would be re-entrant, and holding a
 *   connection would block every other query of the node for the whole run.)
 */
export class LearningLock {
  private held = false;

  constructor(private readonly db: Database) {}

  /** Takes the lock or throws LearningBusyError; returns the release function. */
  async acquire(): Promise<() => Promise<void>> {
    if (this.held) throw new LearningBusyError('a learning run is already running in this process');
    this.held = true;
    if (this.db.kind !== 'postgres') {
      return async () => {
        this.held = false;
      };
    }
    let runner: QueryRunner | undefined;
    try {
      runner = this.db.dataSource.createQueryRunner();
      await runner.connect();
      const [row] = (await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [LEARNING_LOCK_KEY])) as { ok: boolean }[];
      if (!row?.ok) throw new LearningBusyError('another process (dafne-node serve or train) is running a learning run on this database');
    } catch (err) {
      this.held = false;
      await runner?.release().catch(() => undefined);
      throw err;
    }
    const held = runner;
    return async () => {
      try {
        await held.query('SELECT pg_advisory_unlock($1)', [LEARNING_LOCK_KEY]);
      } finally {
        await held.release();
        this.held = false;
      }
    };
  }
}
