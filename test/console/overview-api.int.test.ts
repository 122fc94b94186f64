import test from 'ava';
import { startNode, type TestNode } from '../helpers/node.js';
import { makeStudy, storeAndRegister, type StudyWithAiSeg } from '../review/review-fixtures.js';

/**
 * The read endpoints added for the console, on the embedded database (the browser test runs them on
 * PostgreSQL): GET /api/v1/series joins series, assembly, evaluations, results and deliveries;
 * GET /api/v1/deliveries/stats groups deliveries per destination with the last errors.
 */
let n: TestNode;
let study: StudyWithAiSeg;
let resultId: string;

test.before(async () => {
  n = await startNode();
  study = await makeStudy(41, 48, 3);
  resultId = await storeAndRegister(n.url, study);
  const q = (sql: string, params: unknown[]) => n.node.db.dataSource.query(sql, params);
  // Delivery rows as the delivery job leaves them (no workers run in this in-process node).
  await q("INSERT INTO destination (name, url, source, updated_by) VALUES ('pacs', 'http://127.0.0.1:9/dicom-web', 'api', 'test'), ('idle', 'http://127.0.0.1:9/x', 'api', 'test')", []);
  await q("INSERT INTO delivery (ai_result_id, destination, sop_instance_uid, status, attempts, reason, job_id) VALUES ($1, 'pacs', '1.2.3.1', 'dead-letter', 3, 'HTTP 404 from the destination', 'j1'), ($1, 'pacs', '1.2.3.2', 'delivered', 1, NULL, 'j2')", [resultId]);
  await q("UPDATE delivery SET delivered_at = now() WHERE status = 'delivered'", []);
});
test.after.always(async () => {
  await n?.close();
});

const get = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${n.url}${p}`);
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

test('series: newest first, with instances, results, review status and deliveries by status', async (t) => {
  const list = await get<{ seriesInstanceUid: string; modality: string; instances: number; routing: unknown; stableAt: unknown; results: { id: string; status: string; deliveries: Record<string, number> }[] }[]>('/api/v1/series');
  const source = list.find((s) => s.seriesInstanceUid === study.series.seriesInstanceUID);
  t.truthy(source);
  t.is(source!.instances, 3);
  t.is(source!.modality, 'MR');
  t.is(source!.routing, null, 'no evaluation without the routing scheduler');
  t.deepEqual(source!.results.map((r) => [r.id, r.status, r.deliveries]), [[resultId, 'pending', { 'dead-letter': 1, delivered: 1 }]]);
  const seg = list.find((s) => s.seriesInstanceUid === study.segSeriesUid);
  t.is(seg?.modality, 'SEG');
  t.deepEqual(seg?.results, []);
  t.is((await get<unknown[]>(`/api/v1/series?study=${study.series.studyInstanceUID}&limit=1`)).length, 1);
});

test('deliveries/stats: counts per destination, last delivery, last errors; idle destinations show zeros', async (t) => {
  const stats = await get<{ destination: string; counts: Record<string, number>; total: number; lastDeliveredAt: string | null; lastErrors: { reason: string; attempts: number; jobId: string }[] }[]>('/api/v1/deliveries/stats');
  t.deepEqual(stats.map((s) => s.destination), ['idle', 'pacs']);
  const [idle, pacs] = stats;
  t.is(idle!.total, 0);
  t.is(idle!.lastDeliveredAt, null);
  t.is(pacs!.total, 2);
  t.is(pacs!.counts.delivered, 1);
  t.is(pacs!.counts['dead-letter'], 1);
  t.is(pacs!.counts.pending, 0);
  t.truthy(pacs!.lastDeliveredAt);
  t.deepEqual(pacs!.lastErrors.map((e) => [e.reason, e.attempts, e.jobId]), [['HTTP 404 from the destination', 3, 'j1']]);
  const filtered = await get<{ status: string }[]>('/api/v1/deliveries?destination=pacs&status=dead-letter');
  t.deepEqual(filtered.map((d) => d.status), ['dead-letter']);
});
