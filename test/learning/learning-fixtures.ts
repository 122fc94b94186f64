/**
 * Learning-run fixtures: leg phantom series on the demo model's grid (128², 1 mm), segmented by the
 * node's active model (the AI SEG), stored by STOW-RS, registered as results and reviewed through
 * the API: accepted as is, or corrected with the phantom's true labels (optionally permuted, the
 * "bad update"). The Series Instance UID is drawn until it falls on the wanted side of the
 * held-out split, so each test knows which series are held out.
 */
import { randomBytes } from 'node:crypto';
import { buildVolume } from '../../src/dicom/series-volume.js';
import { segmentsOf } from '../../src/inference/labels.js';
import type { ModelPackage } from '../../src/inference/model-package.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentSeries, sourceAttributes } from '../../src/inference/segment-series.js';
import { phantomOptions } from '../../src/learning/phantom-data.js';
import { isHeldOut } from '../../src/learning/review-data.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { writeSeg } from '../../src/seg/seg-writer.js';
import { segInput } from '../seg/seg-fixtures.js';
import { stowParts } from '../helpers/stow-client.js';

export const SLICES = 3;

export function uidOnSide(heldOut: boolean, fraction = 0.2): string {
  for (;;) {
    const uid = `2.25.${BigInt(`0x${randomBytes(12).toString('hex')}`).toString()}`;
    if (isHeldOut(uid, fraction) === heldOut) return uid;
  }
}

export interface PhantomSeries {
  series: WrittenSeries;
  /** True labels in the source volume's slice order (as buildVolume sorts them). */
  truth: Uint8Array;
  labelledSlices: number;
}

/** A T1 phantom of the demo model's training distribution, on its grid, `SLICES` slices 10 mm apart. */
export async function phantomSeries(seed: number, seriesUid: string, description = 'T1 leg axial'): Promise<PhantomSeries> {
  const p = legPhantom({ ...phantomOptions(seed, 'T1', { slices: SLICES }), rows: 128, columns: 128, pixelSpacing: [1, 1], seriesInstanceUid: seriesUid });
  const series = await writeLegSeries(p.volume, { seriesInstanceUID: seriesUid, seriesDescription: description, patientId: `LEARN${seed}`, patientName: `Learn^${seed}`, date: new Date('2026-01-01T00:00:00Z') });
  const plane = 128 * 128;
  let labelledSlices = 0;
  for (let k = 0; k < SLICES; k++) if (p.labels.data.subarray(k * plane, (k + 1) * plane).some((v) => v !== 0)) labelledSlices++;
  return { series, truth: p.labels.data, labelledSlices };
}

const json = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

/**
 * Stores the series and its AI SEG (made by `pkg`), registers the result, and reviews it:
 * `accept`, or `correct` with the true labels (`permute`: every muscle label shifted to the next).
 */
export async function reviewedSeries(url: string, tokens: { admin: string; reader: string }, pkg: ModelPackage, ph: PhantomSeries, review: { action: 'accept' | 'correct'; permute?: boolean }): Promise<string> {
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
  const ai = await segmentSeries(ph.series.files, pkg, runner, { softwareVersion: 'test' }).finally(() => runner.close());
  const aiSeg = readSeg(ai.seg);
  const stored = await stowParts(url, [...ph.series.files, ai.seg], { headers: { Authorization: `Bearer ${tokens.admin}` } });
  if (stored.status !== 200) throw new Error(`STOW failed: ${stored.status}`);
  const res = await fetch(`${url}/api/v1/results`, {
    method: 'POST',
    headers: json(tokens.admin),
    body: JSON.stringify({ studyInstanceUid: ph.series.studyInstanceUID, sourceSeriesInstanceUid: ph.series.seriesInstanceUID, segSeriesInstanceUid: aiSeg.seriesInstanceUid, segSopInstanceUid: aiSeg.sopInstanceUid, modelId: pkg.card.id, generation: pkg.card.generation }),
  });
  if (res.status !== 201) throw new Error(`registering the result: ${res.status} ${await res.text()}`);
  const resultId = ((await res.json()) as { id: string }).id;
  let body: unknown = { action: 'accept' };
  if (review.action === 'correct') {
    const volume = await buildVolume(ph.series.files);
    const n = pkg.card.labels.length;
    const data = review.permute ? ph.truth.map((v) => (v === 0 ? 0 : (v % n) + 1)) : ph.truth.slice();
    const labels = { ...volume, data };
    const input = segInput(labels, segmentsOf(pkg.card));
    const corrected = writeSeg({ ...input, source: sourceAttributes(ph.series.files[0]!).source, series: { seriesNumber: 2001, seriesDescription: 'Reader correction' } });
    const up = await stowParts(url, [corrected], { headers: { Authorization: `Bearer ${tokens.admin}` } });
    if (up.status !== 200) throw new Error(`STOW of the correction failed: ${up.status}`);
    body = { action: 'correct', correctedSopInstanceUid: readSeg(corrected).sopInstanceUid };
  }
  const rv = await fetch(`${url}/api/v1/results/${resultId}/review`, { method: 'POST', headers: json(tokens.reader), body: JSON.stringify(body) });
  if (rv.status !== 201) throw new Error(`review: ${rv.status} ${await rv.text()}`);
  return resultId;
}
