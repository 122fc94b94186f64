import test from 'ava';
import pino from 'pino';
import { openDatabase, type Database } from '../../src/db/data-source.js';
import { getJob } from '../../src/jobs/job-list.js';
import { WORKER_NAME } from '../../src/jobs/heartbeat.js';
import { BOSS_SCHEMA, JobQueue } from '../../src/jobs/queue.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Job leases (src/jobs/heartbeat.ts) on PGlite and PostgreSQL: a job whose lease went stale (its
 * worker is gone) is put back and runs again at once; a stale lease of an earlier run never
 * touches a later run; a live worker's heartbeat keeps its job; a job out of retries ends in
 * dead-letter; requeueFailed moves a dead letter once. A crashed worker is simulated by the
 * state it leaves behind (an active job, a lease not renewed), the two-process SIGKILL test is
 * heartbeat.int.test.ts.
 */
async function withQueue(kind: 'pglite' | 'postgres', fn: (q: JobQueue, db: Database) => Promise<void>): Promise<void> {
  const t = await createTestDatabase(kind);
  const db = await openDatabase({ url: t.url, embeddedDir: t.embeddedDir });
  const q = new JobQueue(db, pino({ level: 'silent' }), { retryLimit: 3, retryDelaySeconds: 1, pollingIntervalSeconds: 0.5, expireInSeconds: 60, heartbeatSeconds: 0.5, heartbeatTimeoutSeconds: 2 });
  q.defineType('probe');
  try {
    await q.start({ supervise: false });
    await fn(q, db);
  } finally {
    await q.stop();
    await db.close();
    await t.drop();
  }
}

/** What a worker killed mid-run leaves: the job active (attempt n) and its lease, last renewed `agoSeconds` ago. */
async function crashedRun(db: Database, id: string, attempt: number, agoSeconds: number, worker = 'gone:1'): Promise<void> {
  await db.dataSource.query(`UPDATE ${BOSS_SCHEMA}.job SET state = 'active', started_on = now(), retry_count = $2 WHERE id = $1`, [id, attempt]);
  await db.dataSource.query(`INSERT INTO job_lease (job_id, attempt, worker, renewed_at) VALUES ($1, $2, $4, now() - make_interval(secs => $3))`, [id, attempt, agoSeconds, worker]);
}

// Serial: PGlite tests in one process share its event loop, and a stalled loop is what loses a lease.
forEachDatabase((kind) => {
  test.serial(`${kind}: a stale lease puts its job back at once; it runs again as the next attempt`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const id = (await q.send('probe', { n: 1 }))!;
      await crashedRun(db, id, 0, 5);
      const reaped = await q.leases.reap();
      t.deepEqual(reaped.map((r) => [r.id, r.state]), [[id, 'retry']]);
      const job = (await getJob(db, id))!;
      t.regex(job.reason ?? '', /worker running this job stopped \(gone:1, no heartbeat for 2 s\)/);
      t.true(Date.parse(job.startAfter!) <= Date.now() + 1000, 'startable at once, no backoff');
      t.deepEqual(await db.dataSource.query('SELECT * FROM job_lease'), [], 'the stale lease is gone');
      const attempts: number[] = [];
      await q.work('probe', 1, async (j) => void attempts.push(j.attempt));
      await waitFor(async () => (await getJob(db, id))?.state === 'completed', 30_000, 'completed');
      t.deepEqual(attempts, [1]);
    });
  });

  test.serial(`${kind}: a stale lease of an earlier attempt never touches the job's later run`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const id = (await q.send('probe', { n: 2 }))!;
      await crashedRun(db, id, 0, 5);
      // Another worker already took the job again (attempt 1) before any reaper ran.
      await db.dataSource.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_count = 1 WHERE id = $1`, [id]);
      t.deepEqual(await q.leases.reap(), []);
      t.is((await getJob(db, id))?.state, 'active');
    });
  });

  test.serial(`${kind}: a process never reaps its own stale lease (alive to reap: its job is alive, its loop only stalled)`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const id = (await q.send('probe', { n: 5 }))!;
      await crashedRun(db, id, 0, 5, WORKER_NAME);
      t.deepEqual(await q.leases.reap(), []);
      t.is((await getJob(db, id))?.state, 'active');
    });
  });

  test.serial(`${kind}: a job out of retries whose worker died ends in dead-letter`, async (t) => {
    await withQueue(kind, async (q, db) => {
      const id = (await q.send('probe', { n: 3 }))!;
      await crashedRun(db, id, 3, 5);
      t.deepEqual((await q.leases.reap()).map((r) => r.state), ['failed']);
      t.is((await getJob(db, id))?.state, 'dead-letter');
      // Back with a fresh budget, once: the second call finds nothing failed.
      const [a, b] = await Promise.all([q.requeueFailed('probe', [id]), q.requeueFailed('probe', [id])]);
      t.is(a!.length + b!.length, 1);
      const attempts: number[] = [];
      await q.work('probe', 1, async (j) => void attempts.push(j.attempt));
      await waitFor(async () => (await getJob(db, id))?.state === 'completed', 30_000, 'completed after the requeue');
      t.deepEqual(attempts, [0], 'the requeued job starts from attempt 0');
    });
  });

  test.serial(`${kind}: a live worker's heartbeat keeps a job that runs longer than the timeout`, async (t) => {
    await withQueue(kind, async (q, db) => {
      if (kind === 'pglite') {
        // One process owns an embedded database: no leases, no reaper (recoverOrphans at start).
        await q.work('probe', 1, async () => ({ ok: true }));
        const id = (await q.send('probe', { n: 4 }))!;
        await waitFor(async () => (await getJob(db, id))?.state === 'completed', 30_000, 'completed');
        t.deepEqual(await db.dataSource.query('SELECT * FROM job_lease'), []);
        return;
      }
      const runs: number[] = [];
      await q.work('probe', 1, async (j) => {
        runs.push(j.attempt);
        await new Promise((r) => setTimeout(r, 5000)); // 2.5 × heartbeatTimeoutSeconds
        return { ok: true };
      });
      const id = (await q.send('probe', { n: 4 }))!;
      await waitFor(async () => (await db.dataSource.query('SELECT 1 FROM job_lease WHERE job_id = $1', [id])).length === 1, 10_000, 'the lease taken');
      await waitFor(async () => (await getJob(db, id))?.state === 'completed', 30_000, 'completed');
      t.deepEqual(runs, [0], 'ran once, never reaped');
      t.is((await getJob(db, id))?.retryCount, 0);
      t.deepEqual(await db.dataSource.query('SELECT * FROM job_lease'), [], 'the lease is released');
    });
  });
});
