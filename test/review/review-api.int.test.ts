/**
 * The review API and policy hook without a browser, on the embedded database: register an AI
 * result, accept / reject / correct it (Dice from both SEGs decoded on the source grid), one review
 * per result, the audit trail, the worklist order, and what `onReviewed` hands to delivery.
 */
import test from 'ava';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentSeries } from '../../src/inference/segment-series.js';
import { parseModelCard } from '../../src/inference/model-card.js';
import { validateModelPackage } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import type { ReviewedEvent } from '../../src/review/review-events.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { startNode, type TestNode } from '../helpers/node.js';
import { makeStudy, storeAndRegister, type StudyWithAiSeg } from './review-fixtures.js';

let n: TestNode;
const events: ReviewedEvent[] = [];
let studies: StudyWithAiSeg[] = [];
const ids: string[] = [];

test.before(async () => {
  n = await startNode();
  n.node.reviews.events.onReviewed((e) => void events.push(e));
  studies = [await makeStudy(31, 48, 3), await makeStudy(32, 48, 3), await makeStudy(33, 48, 3)];
  for (const s of studies) ids.push(await storeAndRegister(n.url, s));
});
test.after.always(async () => {
  await n?.close();
});

const post = (p: string, body: unknown) => fetch(`${n.url}${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const get = async <T>(p: string): Promise<T> => (await (await fetch(`${n.url}${p}`)).json()) as T;

/** A second SEG of the same source series from other thresholds: the "reader's correction". */
async function otherSeg(s: StudyWithAiSeg): Promise<Buffer> {
  const card = parseModelCard({ ...s.pkg.card, id: 'reader-sim' });
  const pkg = validateModelPackage(writeOnnx(thresholdModel({ thresholds: [400, 700, 1000] })), card);
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
  try {
    return (await segmentSeries(s.series.files, pkg, runner, { softwareVersion: 'test' })).seg;
  } finally {
    await runner.close();
  }
}

test.serial('results list the registered AI result as pending, and the worklist puts it first', async (t) => {
  const results = await get<{ id: string; status: string; modelId: string; generation: number }[]>(`/api/v1/results?study=${studies[0]!.series.studyInstanceUID}`);
  t.deepEqual(results.map((r) => [r.id, r.status, r.modelId, r.generation]), [[ids[0], 'pending', 'leg-threshold', 3]]);
  const list = await get<{ studyInstanceUid: string; pending: number }[]>('/api/v1/worklist');
  t.is(list.length, 3);
  t.true(list.every((w) => w.pending === 1));
});

test.serial('accept: one review only, delivery gets the AI SEG', async (t) => {
  const res = await post(`/api/v1/results/${ids[0]}/review`, { action: 'accept' });
  t.is(res.status, 201);
  t.is((await post(`/api/v1/results/${ids[0]}/review`, { action: 'accept' })).status, 409, 'a second review conflicts');
  const e = events.find((x) => x.result.id === ids[0])!;
  t.is(e.result.status, 'accepted');
  t.deepEqual(e.deliver, { studyInstanceUid: studies[0]!.series.studyInstanceUID, seriesInstanceUid: studies[0]!.segSeriesUid, sopInstanceUid: studies[0]!.segSopUid });
});

test.serial('reject needs a reason; nothing is delivered', async (t) => {
  t.is((await post(`/api/v1/results/${ids[1]}/review`, { action: 'reject', reason: '  ' })).status, 400);
  t.is((await post(`/api/v1/results/${ids[1]}/review`, { action: 'reject', reason: 'wrong leg' })).status, 201);
  const e = events.find((x) => x.result.id === ids[1])!;
  t.is(e.result.status, 'rejected');
  t.is(e.deliver, undefined);
  t.is(e.review.reason, 'wrong leg');
});

test.serial('correct: the corrected SEG must be stored; Dice per segment; delivery gets the corrected SEG', async (t) => {
  const s = studies[2]!;
  const corrected = await otherSeg(s);
  const parsed = readSeg(corrected);
  t.is((await post(`/api/v1/results/${ids[2]}/review`, { action: 'correct', correctedSopInstanceUid: parsed.sopInstanceUid })).status, 400, 'not stored yet');
  t.is((await post(`/api/v1/results/${ids[2]}/review`, { action: 'correct', correctedSopInstanceUid: s.segSopUid })).status, 400, 'the AI SEG itself');
  const { stowParts } = await import('../helpers/stow-client.js');
  t.is((await stowParts(n.url, [corrected])).status, 200);
  const res = await post(`/api/v1/results/${ids[2]}/review`, { action: 'correct', correctedSopInstanceUid: parsed.sopInstanceUid });
  t.is(res.status, 201);
  const body = (await res.json()) as { review: { reader: string; dice: { label: string; dice: number }[] } };
  t.is(body.review.reader, 'local', 'open loopback node: the anonymous principal');
  t.deepEqual(body.review.dice.map((d) => d.label), ['low', 'mid', 'high']);
  t.true(body.review.dice.some((d) => d.dice < 1));
  t.true(body.review.dice.every((d) => d.dice >= 0 && d.dice <= 1));
  const e = events.find((x) => x.result.id === ids[2])!;
  t.deepEqual(e.deliver, { studyInstanceUid: s.series.studyInstanceUID, seriesInstanceUid: parsed.seriesInstanceUid, sopInstanceUid: parsed.sopInstanceUid });
});

test.serial('audit trail and reviews list what happened, newest first', async (t) => {
  const audit = await get<{ action: string; resultId: string }[]>(`/api/v1/reviews/audit?result=${ids[2]}`);
  t.deepEqual(audit.map((a) => a.action), ['review.correct', 'result.registered']);
  const reviews = await get<{ action: string }[]>('/api/v1/reviews');
  t.deepEqual(reviews.map((r) => r.action), ['correct', 'reject', 'accept']);
  const list = await get<{ pending: number }[]>('/api/v1/worklist');
  t.true(list.every((w) => w.pending === 0));
});

test.serial('bad input is refused with the error catalog', async (t) => {
  t.is((await post('/api/v1/results/999/review', { action: 'accept' })).status, 404);
  t.is((await post(`/api/v1/results/${ids[0]}/review`, { action: 'approve' })).status, 400);
  t.is((await fetch(`${n.url}/api/v1/results?status=bogus`)).status, 400);
  const res = await post('/api/v1/results', { studyInstanceUid: '1.2', sourceSeriesInstanceUid: '1.3', segSeriesInstanceUid: '1.4', segSopInstanceUid: '1.5', modelId: 'm', generation: 0 });
  t.is(res.status, 400, 'the AI SEG must be in the archive');
});
