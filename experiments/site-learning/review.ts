import { buildVolume } from '../../src/dicom/series-volume.js';
import { segmentsOf } from '../../src/inference/labels.js';
import { sourceAttributes } from '../../src/inference/segment-series.js';
import type { ModelCard } from '../../src/inference/model-card.js';
import type { AiResult } from '../../src/review/results.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { writeSeg } from '../../src/seg/seg-writer.js';
import type { WrittenSeries } from '../../src/phantom/write-series.js';
import { api, stow, type SiteNode } from './node-driver.js';
import type { CaseVolume } from './site-data.js';

/**
 * A reader's correction through the review path, the two calls the OHIF extension makes
 * (ohif-extension/src/seg-actions.ts, api.ts): the corrected segmentation stored as a new SEG
 * series by STOW-RS, then `POST /api/v1/results/:id/review {action: correct}` naming it. The reader
 * here is perfect: the correction is the phantom's exact labels, on the acquired grid.
 */
export async function correct(n: SiteNode, card: ModelCard, c: CaseVolume, series: WrittenSeries, result: AiResult): Promise<void> {
  const volume = await buildVolume(series.files);
  // The phantom's labels are in its own slice order; the built volume must be in the same one.
  const same = volume.slices === c.volume.slices && volume.origin.every((v, i) => Math.abs(v - c.volume.origin[i]!) < 1e-3) && volume.normal.every((v, i) => Math.abs(v - c.volume.normal[i]!) < 1e-6);
  if (!same) throw new Error(`${c.name}: the stored series does not have the phantom's slice order`);
  const seg = writeSeg({
    labels: { ...volume, data: c.labels.data },
    segments: segmentsOf(card),
    algorithm: { type: 'MANUAL', name: 'reader correction', version: '1' },
    source: sourceAttributes(series.files[0]!).source,
    series: { seriesNumber: 2001, seriesDescription: 'Reader correction' },
    equipment: { manufacturerModelName: 'OHIF (experiment reader)', softwareVersions: ['site-learning'], deviceSerialNumber: 'experiment' },
  });
  await stow(n, [seg]);
  await api(n, `/api/v1/results/${result.id}/review`, { action: 'correct', correctedSopInstanceUid: readSeg(seg).sopInstanceUid });
}
