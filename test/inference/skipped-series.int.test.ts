import test from 'ava';
import pino from 'pino';
import { InferenceJobs } from '../../src/inference/inference-job.js';
import type { JobView } from '../../src/jobs/job-list.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';
import type { AiResult } from '../../src/review/results.js';
import type { WorklistEntry } from '../../src/review/worklist.js';
import type { InferenceJobData } from '../../src/routing/route-series.js';
import { loadSeriesSnapshot } from '../../src/routing/series-snapshot.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';
import { startNode } from '../helpers/node.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { api, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 14 item 1, the outcome: a series too coarse in the model's plane ends as a completed job
 * with the reason, an `ai_result` of outcome 'skipped' (results API, console overview), no SEG in
 * the archive, no delivery, and nothing a reader can review. The shipped demo model (an axial
 * network, card: plane axial, maxThroughPlaneSpacing 3) on a fresh node, as an operator runs it.
 */
const REASON = 'skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model';

/** A coronal phantom series at `sliceSpacing` mm (2 mm pixels: 160 mm left–right, 120 mm head–feet). */
async function coronalSeries(seed: number, sliceSpacing: number, slices: number, description: string): Promise<WrittenSeries> {
  const ph = legPhantom({ seed, orientation: 'coronal', rows: 60, columns: 80, slices, pixelSpacing: [2, 2], sliceSpacing });
  return writeLegSeries(ph.volume, { seriesDescription: description, bodyPartExamined: 'LEG', patientId: `SKIP-${seed}` });
}

let db: TestDatabase | undefined;
let node: NodeProcess | undefined;
test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
  await db?.drop();
});

const kind = testDatabases().includes('postgres') ? 'postgres' : 'pglite';

test(`${kind}: a 6 mm coronal series is skipped with its reason everywhere; a 2 mm one is reformatted and segmented`, async (t) => {
  db = await createTestDatabase(kind);
  node = await startRoutingNode({
    model: false, // a fresh node registers the shipped demo model by itself
    destinations: [{ name: 'pacs', url: 'http://127.0.0.1:9/dicom-web', timeoutSeconds: 1 }],
    rules: [{ id: 'legs', quietSeconds: 0.5, when: { Modality: 'MR', BodyPartExamined: 'LEG' }, model: 'leg-demo', destinations: ['pacs'], review: 'after-review' }],
    env: db.url ? { DATABASE_URL: db.url } : {},
  });
  const base = node.url;
  const coarse = await coronalSeries(931, 6, 20, 'T1 leg coronal 6 mm');
  const fine = await coronalSeries(932, 2, 50, 'T1 leg coronal 2 mm');
  t.not(coarse.studyInstanceUID, fine.studyInstanceUID);
  t.is((await stowParts(base, coarse.files)).status, 200);
  t.is((await stowParts(base, fine.files)).status, 200);

  const jobs = await waitFor(async () => {
    const list = await api<JobView[]>(base, '/api/v1/jobs?type=inference');
    return list.length === 2 && list.every((j) => j.state === 'completed' || j.state === 'dead-letter') ? list : undefined;
  }, 100_000, 'both inference jobs finished');
  const jobOf = (s: WrittenSeries) => jobs.find((j) => (j.data as InferenceJobData).seriesInstanceUid === s.seriesInstanceUID)!;

  // Jobs API: completed (not failed, not retried), the reason as the job's reason and in its result.
  const skippedJob = jobOf(coarse);
  t.is(skippedJob.state, 'completed');
  t.is(skippedJob.retryCount, 0);
  t.is(skippedJob.reason, REASON);
  t.is(skippedJob.progressMessage, REASON);
  const out = skippedJob.output as { skipped: boolean; reason: string; plane: string; aiResultId: string; deliveries: number };
  t.like(out, { skipped: true, reason: REASON, plane: 'coronal', deliveries: 0 });

  const segJob = jobOf(fine);
  t.is(segJob.state, 'completed', segJob.reason ?? '');
  t.is(segJob.reason, null);
  const segOut = segJob.output as { aiResultId: string; segSopInstanceUid: string; timings: { plane: { action: string; source: string; target: string; reformatMs: number; reformatBackMs: number } } };
  t.like(segOut.timings.plane, { action: 'reformat', source: 'coronal', target: 'axial' });
  t.true(segOut.timings.plane.reformatMs > 0 && segOut.timings.plane.reformatBackMs > 0, JSON.stringify(segOut.timings.plane));

  // Archive: no SEG in the skipped series' study; the segmented one has its SEG.
  const segSeries = async (study: string) => {
    const res = await fetch(`${base}/dicomweb/studies/${study}/series?Modality=SEG`, { headers: { accept: 'application/dicom+json' } });
    return res.status === 204 ? [] : ((await res.json()) as unknown[]);
  };
  t.deepEqual(await segSeries(coarse.studyInstanceUID), []);
  t.is((await segSeries(fine.studyInstanceUID)).length, 1);
  const studyInstances = async (study: string) => (await (await fetch(`${base}/dicomweb/studies/${study}/instances`, { headers: { accept: 'application/dicom+json' } })).json()) as unknown[];
  t.is((await studyInstances(coarse.studyInstanceUID)).length, 20, 'only the 20 source instances');

  // Results API: the skipped result with outcome, reason and no SEG; filters by outcome and status.
  const skipped = await api<AiResult[]>(base, '/api/v1/results?outcome=skipped');
  t.is(skipped.length, 1);
  t.like(skipped[0]!, { id: out.aiResultId, sourceSeriesInstanceUid: coarse.seriesInstanceUID, outcome: 'skipped', status: 'skipped', reason: REASON, segSeriesInstanceUid: null, segSopInstanceUid: null, modelId: 'leg-demo' });
  t.deepEqual((await api<AiResult[]>(base, '/api/v1/results?status=skipped')).map((r) => r.id), [out.aiResultId]);
  const pending = await api<AiResult[]>(base, '/api/v1/results?status=pending');
  t.deepEqual(pending.map((r) => [r.id, r.outcome, r.reason, r.segSopInstanceUid]), [[segOut.aiResultId, 'segmented', null, segOut.segSopInstanceUid]]);
  t.deepEqual((await api<AiResult[]>(base, '/api/v1/results?outcome=segmented')).map((r) => r.id), [segOut.aiResultId]);
  const bad = await fetch(`${base}/api/v1/results?outcome=maybe`);
  t.is(bad.status, 400);

  // Review: refused with 409 and why, for every action; the result stays as it was.
  for (const body of [{ action: 'accept' }, { action: 'reject', reason: 'no SEG' }, { action: 'correct', correctedSopInstanceUid: segOut.segSopInstanceUid }]) {
    const res = await fetch(`${base}/api/v1/results/${out.aiResultId}/review`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    t.is(res.status, 409, body.action);
    t.is(((await res.json()) as { message: string }).message, `AI result ${out.aiResultId} has no SEG to review (${REASON})`);
  }
  const one = await api<AiResult & { reviews: unknown[] }>(base, `/api/v1/results/${out.aiResultId}`);
  t.like(one, { status: 'skipped', outcome: 'skipped' });
  t.deepEqual(one.reviews, []);

  // Worklist: the segmented study is pending; the skipped-only study is not there at all.
  const wl = await api<WorklistEntry[]>(base, '/api/v1/worklist');
  t.deepEqual(wl.map((w) => [w.studyInstanceUid, w.pending, w.reviewed]), [[fine.studyInstanceUID, 1, 0]]);

  // Deliveries: the segmented result's waits for review; the skipped one has none.
  const deliveries = await api<{ aiResultId: string; status: string }[]>(base, '/api/v1/deliveries');
  t.deepEqual(deliveries.map((d) => [d.aiResultId, d.status]), [[segOut.aiResultId, 'awaiting-review']]);

  // Console overview (Series & results): skipped with the reason.
  const overview = await api<{ seriesInstanceUid: string; results: { id: string; outcome: string; reason: string | null; status: string; deliveries: Record<string, number> }[] }[]>(base, '/api/v1/series');
  const row = overview.find((s) => s.seriesInstanceUid === coarse.seriesInstanceUID)!;
  t.deepEqual(row.results.map((r) => [r.id, r.outcome, r.status, r.reason, r.deliveries]), [[out.aiResultId, 'skipped', 'skipped', REASON, {}]]);
  t.deepEqual(overview.find((s) => s.seriesInstanceUid === fine.seriesInstanceUID)!.results.map((r) => [r.outcome, r.reason]), [['segmented', null]]);
});

/** A real handler run twice on the same job (what a retry after a crash does), in-process. */
forEachDatabase((k) => {
  test(`${k}: a retried skipped job finds its skipped row: same result, one row, still no SEG`, async (t) => {
    const tdb = await createTestDatabase(k);
    const n = await startNode({ config: tdb.url ? { database: { url: tdb.url } } : {} });
    const jobs = new InferenceJobs({ db: n.node.db, archive: n.node.archive, models: n.node.models, queue: n.node.routing.queue, log: pino({ level: 'silent' }), softwareVersion: 'test', threads: 1 });
    try {
      const s = await coronalSeries(933, 6, 12, 'T1 leg coronal 6 mm');
      t.is((await stowParts(n.url, s.files)).status, 200);
      const snap = (await loadSeriesSnapshot(n.node.archive, s.seriesInstanceUID))!;
      const data: InferenceJobData = { seriesInstanceUid: s.seriesInstanceUID, studyInstanceUid: s.studyInstanceUID, fingerprint: snap.fingerprint, ruleId: 'legs', rulesetVersion: 1, model: 'leg-demo', destinations: [], review: 'immediate' };
      const messages: string[] = [];
      const run = () => jobs.handle({ id: '00000000-0000-4000-8000-000000000001', type: 'inference', data, attempt: 0, retryLimit: 8, progress: async (_f, m) => void messages.push(m ?? '') });
      const first = (await run()) as { skipped: boolean; reason: string; plane: string; aiResultId: string; timings: { plane: { action: string; source: string } } };
      t.like(first, { skipped: true, reason: 'skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model', plane: 'coronal' });
      t.like(first.timings.plane, { action: 'skip', source: 'coronal' });
      const second = (await run()) as typeof first;
      t.deepEqual(second, first);
      t.is(messages.at(-1), first.reason);
      const rows = (await n.node.db.dataSource.query('SELECT outcome, status, reason, seg_sop_instance_uid FROM ai_result WHERE source_series_instance_uid = $1', [s.seriesInstanceUID])) as Record<string, unknown>[];
      t.deepEqual(rows, [{ outcome: 'skipped', status: 'skipped', reason: first.reason, seg_sop_instance_uid: null }]);
      const segs = (await n.node.db.dataSource.query("SELECT count(*)::int AS n FROM instance WHERE sop_class_uid = '1.2.840.10008.5.1.4.1.1.66.4'")) as { n: number }[];
      t.is(Number(segs[0]!.n), 0);
      // The schema keeps outcome, status and SEG UIDs consistent: a skipped row cannot be made reviewable.
      await t.throwsAsync(n.node.db.dataSource.query("UPDATE ai_result SET status = 'pending' WHERE id = $1", [first.aiResultId]), { message: /ai_result_outcome_check/ });
    } finally {
      await jobs.close();
      await n.close();
      await tdb.drop();
    }
  });
});
