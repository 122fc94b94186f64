import test, { type ExecutionContext } from 'ava';
import { openDatabase, type Database } from '../../src/db/data-source.js';
import { staleAt } from '../../src/export/supersede.js';
import { insertResultRow } from '../../src/inference/result-row.js';
import type { InferenceJobData } from '../../src/routing/route-series.js';
import { createTestDatabase, type DatabaseKind } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';

/**
 * The supersede bookkeeping on a real PostgreSQL (src/export/supersede.ts; the whole path with
 * Orthanc: test/routing/supersede.int.test.ts): which deliveries a re-run cancels, and which SEGs
 * a delivery makes stale at its destination, including the race of an old delivery that was in
 * flight when it was cancelled and lands after the new one. On PostgreSQL and PGlite (an UPDATE …
 * RETURNING answers in a different shape through each driver).
 */
let db: Database;

async function withDb(kind: DatabaseKind, fn: () => Promise<void>): Promise<void> {
  const t = await createTestDatabase(kind);
  db = await openDatabase({ url: t.url, embeddedDir: t.embeddedDir });
  try {
    await fn();
  } finally {
    await db.close();
    await t.drop();
  }
}

const job = (fingerprint: string, ruleId = 'r'): InferenceJobData => ({
  seriesInstanceUid: '1.2.826.0.1.1',
  studyInstanceUid: '1.2.826.0.1',
  fingerprint,
  ruleId,
  rulesetVersion: 1,
  model: 'm',
  destinations: [],
  review: 'immediate',
});
let sops = 0;
const result = (d: InferenceJobData) =>
  db.transaction((m) => insertResultRow(m, d, { outcome: 'segmented', segSeriesInstanceUid: `1.2.9.${++sops}`, segSopInstanceUid: `1.2.9.${sops}.1` }, { jobId: 'j', generation: 1, modelSha256: 'x', timings: {} }));

async function delivery(resultId: string | number, destination: string, status: string, jobId: string | null = null): Promise<string> {
  const [r] = (await db.dataSource.query('INSERT INTO delivery (ai_result_id, destination, sop_instance_uid, status, job_id) VALUES ($1, $2, $3, $4, $5) RETURNING id', [resultId, destination, `1.2.8.${++sops}`, status, jobId])) as { id: string }[];
  return String(r!.id);
}
const row = async (id: string) => ((await db.dataSource.query('SELECT status, reason FROM delivery WHERE id = $1', [id])) as { status: string; reason: string | null }[])[0]!;

async function scenario(t: ExecutionContext): Promise<void> {
  // A re-run cancels the old result's unsent deliveries only, and returns their queue jobs.
  const r1 = await result(job('fp1'));
  const sent = await delivery(r1.id, 'pacs', 'delivered');
  const retrying = await delivery(r1.id, 'slow', 'retrying', 'job-retrying');
  const pending = await delivery(r1.id, 'other', 'pending', 'job-pending');
  const waiting = await delivery(r1.id, 'review', 'awaiting-review');
  const dead = await delivery(r1.id, 'dead', 'dead-letter', 'job-dead');
  const r2 = await result(job('fp2'));
  t.deepEqual([...(r2.cancelledJobs ?? [])].sort(), ['job-pending', 'job-retrying']);
  for (const id of [retrying, pending, waiting]) {
    const r = await row(id);
    t.is(r.status, 'cancelled');
    t.regex(r.reason ?? '', new RegExp(`^superseded by ai_result ${r2.id}:`));
  }
  t.is((await row(sent)).status, 'delivered', 'a delivered SEG is not cancelled (it is removed at the destination later)');
  t.is((await row(dead)).status, 'dead-letter');
  const [link] = (await db.dataSource.query('SELECT superseded_by FROM ai_result WHERE id = $1', [r1.id])) as { superseded_by: string }[];
  t.is(String(link!.superseded_by), String(r2.id));

  // Stale at a destination: older SEGs of the same series, model and rule there, never the newest delivered one.
  const a = await result(job('fp-a', 'stale'));
  const aPacs = await delivery(a.id, 'pacs', 'delivered');
  const aOther = await delivery(a.id, 'other', 'delivered');
  const aSlow = await delivery(a.id, 'slow', 'retrying');
  const b = await result(job('fp-b', 'stale'));
  t.is((await row(aSlow)).status, 'cancelled');
  const bPacs = await delivery(b.id, 'pacs', 'delivered');
  // Another rule on the same series is another result line: never stale because of this one.
  const other = await result(job('fp-b', 'another-rule'));
  const otherPacs = await delivery(other.id, 'pacs', 'delivered');

  t.deepEqual((await staleAt(db, bPacs)).map((s) => s.id), [aPacs]);
  t.is((await staleAt(db, bPacs))[0]!.newer, String(b.id));
  t.deepEqual(await staleAt(db, otherPacs), []);
  // 'other' has only the old SEG: it stays until the new one is there (never zero SEGs).
  t.deepEqual(await staleAt(db, aOther), []);

  // The race: the old delivery to 'slow' was in flight when it was cancelled and lands after the new one.
  const bSlow = await delivery(b.id, 'slow', 'delivered');
  t.deepEqual(await staleAt(db, bSlow), []);
  await db.dataSource.query("UPDATE delivery SET status = 'delivered' WHERE id = $1", [aSlow]);
  t.deepEqual((await staleAt(db, aSlow)).map((s) => s.id), [aSlow], 'found stale by its own delivery job');
}

forEachDatabase((kind) => {
  test.serial(`${kind}: a re-run cancels the old result's unsent deliveries; stale SEGs at a destination`, (t) => withDb(kind, () => scenario(t)));
});
