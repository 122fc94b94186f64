import { NEED_MORE, scanPart10, tagOf } from '../dicom/header-scan.js';
import { buildVolume } from '../dicom/series-volume.js';
import type { SegSeriesInfo, SegSourceAttributes } from '../seg/seg-writer.js';
import { writeSeg } from '../seg/seg-writer.js';
import type { ModelPackage } from './model-package.js';
import type { OnnxRunner } from './onnx-runner.js';
import type { PipelineOptions } from './pipeline.js';
import { segmentAnyPlane, type AnyPlaneResult } from './segment-plane.js';
import type { Volume } from '../dicom/volume.js';
import { trackingId, trackingUid } from '../sr/tracking.js';

/** Patient / study attributes a SEG copies from its source (PS3.3 A.51: Patient, General Study). */
const COPIED: [keyof SegSourceAttributes, number][] = [
  ['PatientName', tagOf(0x0010, 0x0010)],
  ['PatientID', tagOf(0x0010, 0x0020)],
  ['PatientBirthDate', tagOf(0x0010, 0x0030)],
  ['PatientSex', tagOf(0x0010, 0x0040)],
  ['StudyInstanceUID', tagOf(0x0020, 0x000d)],
  ['StudyDate', tagOf(0x0008, 0x0020)],
  ['StudyTime', tagOf(0x0008, 0x0030)],
  ['StudyID', tagOf(0x0020, 0x0010)],
  ['AccessionNumber', tagOf(0x0008, 0x0050)],
  ['ReferringPhysicianName', tagOf(0x0008, 0x0090)],
];
const COPIED_TAGS = new Set(COPIED.map(([, t]) => t));
const SERIES_NUMBER = tagOf(0x0020, 0x0011);

export function sourceAttributes(file: Buffer): { source: SegSourceAttributes; seriesNumber: number | undefined } {
  const h = scanPart10(file, true, new Set([...COPIED_TAGS, SERIES_NUMBER]));
  if (h === NEED_MORE) return { source: {}, seriesNumber: undefined };
  const source: SegSourceAttributes = {};
  for (const [keyword, tag] of COPIED) {
    const v = h.values.get(tag);
    if (v !== undefined && v !== '') (source as Record<string, string>)[keyword] = v;
  }
  const sn = Number.parseInt(h.values.get(SERIES_NUMBER) ?? '', 10);
  return { source, seriesNumber: Number.isFinite(sn) ? sn : undefined };
}

export interface SegmentSeriesOptions extends PipelineOptions {
  softwareVersion: string;
  /** Default: the source's SeriesNumber + 1000 (results sort after their source). */
  seriesNumber?: number;
  /** 2, 3, … for a re-run that supersedes earlier SEGs of the same series (docs/routing.md, "Late instances"); default 1. */
  revision?: number;
}

/**
 * General Series / Content Identification text of an AI SEG (PS3.3 C.7.3.1 Series Description,
 * C.8.20.2 / Table 10-12 Content Description). SeriesDescription names the model and generation
 * (issue 3 item 4); a re-run adds "rev N" and says what it replaces, so where a PACS cannot delete
 * the superseded SEG the reader still sees which one is current.
 */
export function segSeriesInfo(card: ModelPackage['card'], seriesNumber: number, revision = 1, seriesDescription?: string): SegSeriesInfo {
  const rev = revision > 1 ? ` rev ${revision}` : '';
  const description = seriesDescription ?? `Dafne ${card.name} gen ${card.generation}`;
  return {
    seriesNumber,
    seriesDescription: `${description.slice(0, 64 - rev.length)}${rev}`,
    contentLabel: 'DAFNE_AI',
    contentDescription: (revision > 1 ? `Revision ${revision}: replaces the earlier AI SEG of this series` : `Automatic segmentation by ${card.id} generation ${card.generation}`).slice(0, 64),
  };
}

export interface SegmentSeriesResult extends AnyPlaneResult {
  seg: Buffer;
  /** The source volume (signal statistics of the measurement report, the SC overlay). */
  volume: Volume;
  /** Milliseconds to assemble the volume (decode + geometry) and to encode the SEG. */
  volumeMs: number;
  encodeMs: number;
}

/**
 * A folder of slices → a DICOM SEG: series assembly (geometry checked, nothing guessed), the
 * inference pipeline, and the SEG writer. Nothing is written anywhere: the caller stores the SEG.
 */
export async function segmentSeries(files: Iterable<Buffer> | AsyncIterable<Buffer>, pkg: ModelPackage, runner: OnnxRunner, opts: SegmentSeriesOptions): Promise<SegmentSeriesResult> {
  let first: Buffer | undefined;
  async function* remember(): AsyncGenerator<Buffer> {
    for await (const f of files) {
      first ??= f;
      yield f;
    }
  }
  const t0 = performance.now();
  const volume = await buildVolume(remember());
  const volumeMs = performance.now() - t0;
  // Any orientation: reformatted into the model's plane when needed, or SkippedSeriesError (plane.ts).
  const result = await segmentAnyPlane(volume, pkg, runner, opts);
  // Tracking ID / UID of each segment (PS3.3 C.8.20.4) as the measurement report has them: derived
  // from source series and label, so every generation's and correction's SEG and SR agree (src/sr/tracking.ts).
  result.segments = result.segments.map((s) => ({ ...s, trackingId: trackingId(s.label), trackingUid: trackingUid(volume.seriesInstanceUid, s.label) }));
  const { source, seriesNumber } = sourceAttributes(first!);
  const card = pkg.card;
  const t1 = performance.now();
  const seg = writeSeg({
    labels: result.labels,
    segments: result.segments,
    algorithm: { type: 'AUTOMATIC', name: `Dafne ${card.name}`.slice(0, 64), version: `generation ${card.generation} (${pkg.sha256.slice(0, 12)})` },
    source,
    series: segSeriesInfo(card, opts.seriesNumber ?? (seriesNumber ?? 0) + 1000, opts.revision),
    equipment: { manufacturerModelName: 'Dafne Node', softwareVersions: opts.softwareVersion, deviceSerialNumber: pkg.sha256.slice(0, 16) },
  });
  return { ...result, seg, volume, volumeMs, encodeMs: performance.now() - t1 };
}
