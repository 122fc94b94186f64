/**
 * Review test fixtures: a small leg-phantom MR study (64×64 slices, so software rendering in a
 * headless browser is fast) with an AI SEG from the exact threshold model, stored in a node and
 * registered as an AI result awaiting review.
 */
import { parseModelCard } from '../../src/inference/model-card.js';
import { validateModelPackage, type ModelPackage } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentSeries } from '../../src/inference/segment-series.js';
import { hashToken } from '../../src/http/auth.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { stowParts } from '../helpers/stow-client.js';
import { thresholdCard } from '../helpers/threshold-card.js';

export const THRESHOLDS = [80, 160, 260];
export const READER = { name: 'dr-reader', token: 'reader-token-0123456789abcdef' };
export const ADMIN = { name: 'pacs-admin', token: 'admin-token-0123456789abcdef' };

/** Node config with a reader and an admin token (so the reader's name is on the review). */
export function tokensYaml(): string {
  return `auth:
  tokens:
    - name: ${READER.name}
      sha256: ${hashToken(READER.token)}
      roles: [reader]
    - name: ${ADMIN.name}
      sha256: ${hashToken(ADMIN.token)}
      roles: [admin, pacs]
`;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export function thresholdPackage(rows: number, columns: number, pixelSpacing: [number, number]): ModelPackage {
  const card = parseModelCard(thresholdCard({ id: 'leg-threshold', name: 'Leg threshold', generation: 3, size: [rows, columns], pixelSpacing, batchSize: 4 }));
  return validateModelPackage(writeOnnx(thresholdModel({ thresholds: THRESHOLDS })), card);
}

export interface StudyWithAiSeg {
  series: WrittenSeries;
  grid: VolumeGeometry;
  seg: Buffer;
  segSeriesUid: string;
  segSopUid: string;
  pkg: ModelPackage;
}

/** A phantom series and its AI SEG (nothing stored yet). `seed` makes each study distinct. */
export async function makeStudy(seed: number, size = 64, slices = 4): Promise<StudyWithAiSeg> {
  const ph = legPhantom({ seed, noise: 5, orientation: 'axial', rows: size, columns: size, slices, pixelSpacing: [3, 3], sliceSpacing: 6 });
  const series = await writeLegSeries(ph.volume, { patientName: `Review^Test${seed}`, patientId: `REV${seed}`, seriesDescription: 'T1 axial' });
  const pkg = thresholdPackage(size, size, [3, 3]);
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
  try {
    const r = await segmentSeries(series.files, pkg, runner, { softwareVersion: 'test' });
    const { readSeg } = await import('../../src/seg/seg-reader.js');
    const parsed = readSeg(r.seg);
    const { data: _d, ...grid } = ph.volume;
    return { series, grid, seg: r.seg, segSeriesUid: parsed.seriesInstanceUid, segSopUid: parsed.sopInstanceUid, pkg };
  } finally {
    await runner.close();
  }
}

/** Stores the study and its AI SEG in the node and registers the result; returns the result id. */
export async function storeAndRegister(url: string, s: StudyWithAiSeg, adminToken = ADMIN.token): Promise<string> {
  const stored = await stowParts(url, [...s.series.files, s.seg], { headers: bearer(adminToken) });
  if (stored.status !== 200) throw new Error(`STOW failed: ${stored.status} ${JSON.stringify(stored.failed)}`);
  const res = await fetch(`${url}/api/v1/results`, {
    method: 'POST',
    headers: { ...bearer(adminToken), 'Content-Type': 'application/json' },
    body: JSON.stringify({
      studyInstanceUid: s.series.studyInstanceUID,
      sourceSeriesInstanceUid: s.series.seriesInstanceUID,
      segSeriesInstanceUid: s.segSeriesUid,
      segSopInstanceUid: s.segSopUid,
      modelId: s.pkg.card.id,
      generation: s.pkg.card.generation,
      delivery: 'after_review',
    }),
  });
  if (res.status !== 201) throw new Error(`registering the result failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
