/**
 * Roles of reviewed series (src/learning/training-data.ts) on PGlite and PostgreSQL: the benchmark
 * fills by alternation and is then frozen; held-out series are never training data; a series a run
 * trained on is not offered again; one running run per database, a dead one is failed at start.
 */
import test from 'ava';
import type { Archive } from '../../src/archive/archive.js';
import { openDatabase } from '../../src/db/data-source.js';
import { validateConfig } from '../../src/config/load.js';
import { LearningLock } from '../../src/learning/learning-lock.js';
import { LearningService } from '../../src/learning/learning-service.js';
import { assignRoles, type ReviewedItem } from '../../src/learning/training-data.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';
import { uidOnSide } from './learning-fixtures.js';

const item = (i: number, heldOut: boolean): ReviewedItem => ({ resultId: String(i), studyInstanceUid: '1.2.3', seriesInstanceUid: uidOnSide(heldOut), segSopInstanceUid: `1.2.3.${i}`, status: 'corrected' });

forEachDatabase((kind) => {
  test(`${kind}: benchmark alternates until full, then frozen; trained series are not offered again`, async (t) => {
    const tdb = await createTestDatabase(kind);
    const db = await openDatabase({ url: tdb.url, embeddedDir: tdb.embeddedDir });
    const archive = { db } as Archive;
    const o = { heldOutFraction: 0.2, benchmarkSeries: 3 };
    try {
      const held = Array.from({ length: 5 }, (_, i) => item(i, true));
      const train = [item(10, false), item(11, false)];
      const first = await assignRoles(archive, 'm', [held[0]!, train[0]!, held[1]!, held[2]!, train[1]!, held[3]!], o);
      t.deepEqual(first.map((r) => r.role), ['benchmark', 'train', 'held-out', 'benchmark', 'train', 'held-out']);
      // A later night: one more held-out series fills the benchmark; earlier roles are unchanged.
      const second = await assignRoles(archive, 'm', [held[0]!, held[1]!, held[2]!, held[3]!, held[4]!], o);
      t.deepEqual(second.map((r) => r.role), ['benchmark', 'held-out', 'benchmark', 'held-out', 'benchmark']);
      const third = await assignRoles(archive, 'm', [held[0]!, held[1]!, held[2]!, held[3]!, held[4]!, item(20, true)], o);
      t.deepEqual(third.map((r) => r.role), ['benchmark', 'held-out', 'benchmark', 'held-out', 'benchmark', 'held-out'], 'full: frozen');
      // Another model has its own benchmark.
      t.is((await assignRoles(archive, 'other', [held[1]!], o))[0]!.role, 'benchmark');
      // A series a run trained on is never offered for training again (and the index refuses a second row).
      const [run] = (await db.dataSource.query(`INSERT INTO learning_run (model_id, trigger, actor, status) VALUES ('m', 'cli', 't', 'done') RETURNING id`)) as { id: string }[];
      const sample = `INSERT INTO learning_sample (run_id, model_id, result_id, series_instance_uid, role, slices) VALUES ($1, 'm', 10, $2, 'train', 3)`;
      await db.dataSource.query(sample, [run!.id, train[0]!.seriesInstanceUid]);
      const after = await assignRoles(archive, 'm', train, o);
      t.deepEqual(after.map((r) => [r.seriesInstanceUid, r.role]), [[train[0]!.seriesInstanceUid, 'trained'], [train[1]!.seriesInstanceUid, 'train']], 'trained once: rehearsal data at most');
      await t.throwsAsync(db.dataSource.query(sample, [run!.id, train[0]!.seriesInstanceUid]), { message: /duplicate key|unique/i });
      // At most one running learning run per database.
      const running = `INSERT INTO learning_run (model_id, trigger, actor, status) VALUES ('m', 'api', 't', 'running')`;
      await db.dataSource.query(running);
      await t.throwsAsync(db.dataSource.query(running), { message: /duplicate key|unique/i });
      // A running row left by a stopped process is failed at start — unless a run holds the lock.
      const learning = new LearningService({ config: validateConfig({}).learning, archive, models: {}, queue: {}, audit: {}, log: {} } as unknown as ConstructorParameters<typeof LearningService>[0]);
      if (kind === 'postgres') {
        const release = await new LearningLock(db).acquire();
        t.is(await learning.recoverOrphans(), 0, 'another process holds the lock: its run is alive');
        await release();
      }
      t.is(await learning.recoverOrphans(), 1);
      t.like((await learning.runs.list())[0], { status: 'failed', reason: 'the process running it stopped before it finished' });
    } finally {
      await db.close();
      await tdb.drop();
    }
  });
});
