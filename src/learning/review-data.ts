import { createHash } from 'node:crypto';
import type { LabelVolume, Volume } from '../dicom/volume.js';
import { buildVolume } from '../dicom/series-volume.js';
import { planFor } from '../dicom/plane.js';
import type { ModelCard } from '../inference/model-card.js';
import { labelsOnto, reformatGeometry, reformatImage } from '../inference/reformat.js';
import { planeRequirements } from '../inference/segment-plane.js';
import { readSeg } from '../seg/seg-reader.js';
import { toModelGrid } from './model-grid.js';
import { emptySliceSet, type SliceSet } from './slice-set.js';

/**
 * Training data from reviews (issue 6 item 2), the parts that do not depend on how reviews are
 * stored: the held-out split and the conversion of (source series, accepted or corrected SEG) into
 * model-grid slices with exactly the inference preprocessing.
 */

/**
 * Whether a series belongs to the held-out split: a pure function of its Series Instance UID
 * (SHA-256), so the split is stable across nights by construction — a series once held out is never
 * trained on, and no table can drift from the rule. `fraction` must not change once data exists.
 */
export function isHeldOut(seriesInstanceUid: string, fraction = 0.2): boolean {
  const h = createHash('sha256').update(`dafne-held-out\0${seriesInstanceUid}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < fraction;
}

/**
 * Maps a SEG's segment numbers onto the card's label values by segment label (name); a segment the
 * card does not know becomes background, a `_L` / `_R` split-laterality suffix is ignored.
 */
export function labelsForCard(labels: LabelVolume, segments: { labelValue: number; label: string }[], card: ModelCard): LabelVolume {
  const byName = new Map(card.labels.map((l) => [l.name, l.value]));
  const lut = new Uint8Array(256);
  for (const s of segments) lut[s.labelValue] = byName.get(s.label.replace(/_[LR]$/, '')) ?? 0;
  return { ...labels, data: labels.data.map((v) => lut[v]!) };
}

export interface ReviewedSeries {
  /** The source series' instances (Part 10). */
  sourceFiles: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** The corrected SEG, or the AI SEG when it was accepted as is. */
  seg: Buffer;
}

/**
 * Slices of one reviewed series for training or held-out scoring: only slices where the reader's
 * mask has a label (Dafne trains on the corrected slices), on the model grid.
 */
export async function reviewedSlices(r: ReviewedSeries, card: ModelCard): Promise<SliceSet> {
  const volume: Volume = await buildVolume(r.sourceFiles);
  const seg = readSeg(r.seg, volume);
  const labels = labelsForCard(seg.labels, seg.segments, card);
  return labelledSlices(volume, labels, card);
}

/**
 * The labelled slices in the MODEL's plane (issue 14): a series acquired in another plane is
 * reformatted exactly as inference reformats it (segment-plane.ts): the image by reformatImage, the
 * reader's labels by the same trilinear vote, so the network trains on what it will be shown. A
 * series the plan skips gives no slices.
 */
export function labelledSlices(volume: Volume, labels: LabelVolume, card: ModelCard): SliceSet {
  const plan = planFor(volume, planeRequirements({ card }));
  if (plan.action === 'skip') return emptySliceSet(card.input.size[0], card.input.size[1]);
  if (plan.action === 'reformat' && plan.target !== 'any') {
    const target = reformatGeometry(volume, plan.target, card.input.size, card.input.pixelSpacing);
    const image = reformatImage(volume, target);
    return slicesWithLabels(image, { ...target, data: labelsOnto(labels, target) }, card, volume.data);
  }
  return slicesWithLabels(volume, labels, card);
}

function slicesWithLabels(volume: Volume, labels: LabelVolume, card: ModelCard, statisticsFrom?: Float32Array): SliceSet {
  const plane = volume.rows * volume.columns;
  const ks: number[] = [];
  for (let k = 0; k < volume.slices; k++) if (labels.data.subarray(k * plane, (k + 1) * plane).some((v) => v !== 0)) ks.push(k);
  return toModelGrid(volume, labels, card, ks, statisticsFrom);
}
