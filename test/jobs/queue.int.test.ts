import test from 'ava';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/db/data-source.js';
import { jobIdFor } from '../../src/jobs/boss-db.js';
import { getJob, listJobs } from '../../src/jobs/job-list.js';
import { JobQueue, PermanentJobError } from '../../src/jobs/queue.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The durable queue (pg-boss through our Database) on PGlite and PostgreSQL: retries with
 * backoff, dead-letter with the reason, priorities, progress, idempotent sends, and no job lost
 * when TypeORM transactions roll back at the same time (the PGlite single-session trap).
 */
async function withQueue(kind: 'pglite' | 'postgres', fn: (q: JobQueue, db: Database) => Promise<void>): Promise<void> {
  const t = await createTestDatabase(kind);
  const db = await openDatabase({ url: t.url, embeddedDir: t.embeddedDir });
  const q = new JobQueue(db, pino({ level: 'silent' }), { retryLimit: 3, retryDelaySeconds: 1, pollingIntervalSeconds: 0.5, expireInSeconds: 60 });
  q.defineType('probe');
  q.defineType('other');
  try {
    await q.start({ supervise: false });
    await fn(q, db);
  } finally {
    await q.stop();
    await db.close();
    await t.drop();
  }
}

forEachDatabase((kind) => {
  test(`${kind}: a failing job is retried with exponential backoff, then succeeds; progress is visible`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const seen: number[] = [];
      await q.work<{ n: number }>('probe', 1, async (job) => {
        seen.push(Date.now());
        await job.progress(0.5, 'half way');
        if (seen.length < 3) throw new Error(`transient ${seen.length}`);
        return { ok: true };
      });
      const id = (await q.send('probe', { n: 1 }))!;
      const job = await waitFor(async () => {
        const j = await getJob(db, id);
        return j?.state === 'completed' ? j : undefined;
      }, 30_000);
      t.is(job.retryCount, 2);
      t.is(job.progress, 0.5);
      t.is(job.progressMessage, 'half way');
      // Backoff: delay × 2^n / 2 × (1 + random) → ≥ 1 s before the first retry, ≥ 2 s before the second.
      t.true(seen[1]! - seen[0]! >= 900, `first retry after ${seen[1]! - seen[0]!} ms`);
      t.true(seen[2]! - seen[1]! >= 1900, `second retry after ${seen[2]! - seen[1]!} ms`);
    });
  });

  test(`${kind}: a permanent failure goes to dead-letter at once with its reason; retry brings it back`, async (t) => {
    await withQueue(kind, async (q, db) => {
      let calls = 0;
      await q.work('probe', 1, async () => {
        calls++;
        if (calls === 1) throw new PermanentJobError('refused: Failure Reason 0xA700');
        return 'second time lucky';
      });
      const id = (await q.send('probe', {}))!;
      const dead = await waitFor(async () => {
        const j = await getJob(db, id);
        return j?.state === 'dead-letter' ? j : undefined;
      }, 20_000);
      t.is(dead.reason, 'refused: Failure Reason 0xA700');
      t.is(calls, 1);
      t.deepEqual((await listJobs(db, { state: 'dead-letter' })).map((j) => j.id), [id]);
      await q.retry('probe', id);
      await waitFor(async () => (await getJob(db, id))?.state === 'completed', 20_000);
      t.is(calls, 2);
    });
  });

  test(`${kind}: a derived job id makes send idempotent; higher priority runs first`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const id = jobIdFor('same-logical-job');
      t.is(await q.send('other', { a: 1 }, { id }), id);
      t.is(await q.send('other', { a: 2 }, { id }), null);
      await q.send('probe', { p: 'low' }, { priority: 0 });
      await q.send('probe', { p: 'high' }, { priority: 10 });
      const order: string[] = [];
      await q.work<{ p: string }>('probe', 1, async (job) => {
        order.push(job.data.p);
      });
      await waitFor(() => order.length === 2, 20_000);
      t.deepEqual(order, ['high', 'low']);
      t.is((await listJobs(db, { type: 'other' })).length, 1);
    });
  });

  test(`${kind}: jobs sent while TypeORM transactions roll back are all kept`, async (t) => {
    await withQueue(kind, async (q, db) => {
      await db.dataSource.query('CREATE TABLE probe_rows (id serial PRIMARY KEY)');
      const sends = Array.from({ length: 20 }, (_, i) => q.send('other', { i }));
      const rollbacks = Array.from({ length: 20 }, () =>
        db.transaction(async (m) => {
          await m.query('INSERT INTO probe_rows DEFAULT VALUES');
          await new Promise((r) => setTimeout(r, 2));
          throw new Error('planned rollback');
        }).catch(() => undefined),
      );
      await Promise.all([...sends, ...rollbacks]);
      t.is((await listJobs(db, { type: 'other', limit: 100 })).length, 20);
      t.is(Number(((await db.dataSource.query('SELECT count(*)::int AS n FROM probe_rows')) as { n: number }[])[0]!.n), 0);
    });
  });
});
