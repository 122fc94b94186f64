/**
 * The objects made from one SEG besides itself (issue 18): the quantitative SR (always: it is also
 * where the console's numbers come from) and, when a destination asks for it, the Secondary
 * Capture overlay. In memory only; derived-store.ts stores and records them.
 */
import { NEED_MORE, scanPart10, tagOf } from '../dicom/header-scan.js';
import type { LabelVolume, Volume } from '../dicom/volume.js';
import { sourceAttributes } from '../inference/segment-series.js';
import { writeOverlaySeries, type OverlayInstance } from '../overlay/sc-overlay.js';
import { SEGMENTATION_STORAGE } from '../seg/seg-tags.js';
import type { SegEquipment } from '../seg/seg-writer.js';
import type { SegmentDefinition } from '../seg/segment.js';
import { writeMeasurementReport } from '../sr/measurement-report.js';
import { measureSegments, type DixonSignals, type SegmentMeasurement } from '../sr/measurements.js';
import { nameBasedUid } from '../sr/tracking.js';

const MODALITY = tagOf(0x0008, 0x0060);
const LATERALITY = tagOf(0x0020, 0x0060);

/** The fat / water series a fat fraction was measured from (their instances are the SR's evidence). */
export interface DixonInput {
  signals: DixonSignals;
  fat: { seriesInstanceUid: string; instances: { sopClassUid: string; sopInstanceUid: string }[] };
  water: { seriesInstanceUid: string; instances: { sopClassUid: string; sopInstanceUid: string }[] };
}

export interface BuildDerivedInput {
  firstSource: Buffer;
  volume: Volume;
  labels: LabelVolume;
  segments: SegmentDefinition[];
  seg: { sopInstanceUid: string; seriesInstanceUid: string };
  /** e.g. "Dafne leg-demo gen 3" or "… corrected"; names the SR and the overlay series. */
  producer: string;
  /** The source's Series Number; the SR is +2000, the overlay +3000 (the SEG is +1000). */
  sourceSeriesNumber: number;
  equipment: SegEquipment;
  overlay: boolean;
  dixon?: DixonInput;
}

export interface BuiltDerived {
  sr: { bytes: Buffer; sopInstanceUid: string; seriesInstanceUid: string };
  measurements: SegmentMeasurement[];
  overlay: OverlayInstance[];
}

/** The node as the SR's device observer (TID 1004): one UID for every report this product makes. */
export const DEVICE_OBSERVER_UID = nameBasedUid('device-observer/dafne-node');

export function buildDerived(input: BuildDerivedInput): BuiltDerived {
  const { source } = sourceAttributes(input.firstSource);
  const h = scanPart10(input.firstSource, true, new Set([MODALITY, LATERALITY]));
  const modality = h === NEED_MORE ? undefined : h.values.get(MODALITY);
  const laterality = h === NEED_MORE ? undefined : h.values.get(LATERALITY);
  const v = input.volume;
  const measurements = measureSegments(input.labels, input.segments, v.data, v.seriesInstanceUid, input.dixon?.signals);
  const sr = writeMeasurementReport({
    source,
    studyInstanceUid: source.StudyInstanceUID ?? v.studyInstanceUid,
    sourceSeriesInstanceUid: v.seriesInstanceUid,
    sourceModality: modality,
    sourceInstances: uniqueInstances(v.sources),
    seg: { sopClassUid: SEGMENTATION_STORAGE, ...input.seg },
    dixon: input.dixon ? { fat: input.dixon.fat, water: input.dixon.water } : undefined,
    measurements,
    series: { seriesNumber: input.sourceSeriesNumber + 2000, seriesDescription: `${input.producer} measurements` },
    equipment: input.equipment,
    deviceObserverUid: DEVICE_OBSERVER_UID,
  });
  const colors = new Map(input.segments.map((s) => [s.labelValue, s.color] as const));
  const overlay = input.overlay
    ? writeOverlaySeries({ volume: v, labels: input.labels, colors, source, producer: input.producer, seriesNumber: input.sourceSeriesNumber + 3000, laterality, equipment: input.equipment })
    : [];
  return { sr, measurements, overlay };
}

/** Instances of a volume's slices (a multi-frame source appears once). */
function uniqueInstances(sources: Volume['sources']): { sopClassUid: string; sopInstanceUid: string }[] {
  const seen = new Map<string, string>();
  for (const s of sources) seen.set(s.sopInstanceUid, s.sopClassUid);
  return [...seen].map(([sopInstanceUid, sopClassUid]) => ({ sopClassUid, sopInstanceUid }));
}
