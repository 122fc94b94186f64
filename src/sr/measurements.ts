/**
 * Per-segment numbers of a label volume: voxel count, volume, mean and standard deviation of the
 * source signal and, for a Dixon study, the signal fat fraction. Pure arithmetic on the acquired
 * grid (the label volume is on the source geometry, src/dicom/volume.ts), so the SR's volume is by
 * construction the SEG's voxel count × voxel volume.
 */
import type { LabelVolume } from '../dicom/volume.js';
import type { Code, SegmentDefinition } from '../seg/segment.js';
import { trackingId, trackingUid } from './tracking.js';

export interface SegmentMeasurement {
  /** Segment Number in the SEG the group references (= label value). */
  segmentNumber: number;
  label: string;
  type: Code;
  trackingId: string;
  trackingUid: string;
  voxels: number;
  /** voxels × column spacing × row spacing × slice spacing (mm³) / 1000. */
  volumeMl: number;
  /** Mean / standard deviation of the source signal (after Rescale Slope/Intercept) over the segment; null when empty. */
  mean: number | null;
  sd: number | null;
  /** Mean over the segment of F / (F + W) × 100 (Dixon), null when no voxel has F + W > 0; absent without Dixon series. */
  fatFractionPercent?: number | null;
}

export interface DixonSignals {
  fat: Float32Array;
  water: Float32Array;
}

/** mm³ of one voxel: the spacings of the grid (in-plane, and between slice centres). */
export const voxelVolumeMm3 = (g: Pick<LabelVolume, 'spacing'>): number => g.spacing[0] * g.spacing[1] * g.spacing[2];

/**
 * Measures every defined segment (also empty ones: volume 0, no signal statistics). The standard
 * deviation is the population one: the segment's voxels are the whole region, not a sample.
 * Sums are in float64, so a 512×512×200 series loses nothing to rounding.
 */
export function measureSegments(labels: LabelVolume, segments: readonly SegmentDefinition[], signal: Float32Array | undefined, sourceSeriesInstanceUid: string, dixon?: DixonSignals): SegmentMeasurement[] {
  const n = labels.data.length;
  if (signal && signal.length !== n) throw new Error(`signal has ${signal.length} voxels, labels ${n}`);
  if (dixon && (dixon.fat.length !== n || dixon.water.length !== n)) throw new Error('Dixon fat / water volumes are not on the label grid');
  const count = new Float64Array(256);
  const sum = new Float64Array(256);
  const sumSq = new Float64Array(256);
  const ffSum = new Float64Array(256);
  const ffCount = new Float64Array(256);
  const d = labels.data;
  for (let i = 0; i < n; i++) {
    const l = d[i]!;
    if (l === 0) continue;
    count[l]!++;
    if (signal) {
      const v = signal[i]!;
      sum[l]! += v;
      sumSq[l]! += v * v;
    }
    if (dixon) {
      const f = dixon.fat[i]!, w = dixon.water[i]!;
      if (f + w > 0) {
        ffSum[l]! += Math.max(0, Math.min(1, f / (f + w)));
        ffCount[l]!++;
      }
    }
  }
  const mm3 = voxelVolumeMm3(labels);
  return [...segments]
    .sort((a, b) => a.labelValue - b.labelValue)
    .map((s): SegmentMeasurement => {
      const v = s.labelValue;
      const c = count[v]!;
      const mean = signal && c > 0 ? sum[v]! / c : null;
      const sd = signal && c > 0 && mean !== null ? Math.sqrt(Math.max(0, sumSq[v]! / c - mean * mean)) : null;
      const m: SegmentMeasurement = {
        segmentNumber: v,
        label: s.label,
        type: s.type,
        trackingId: trackingId(s.label),
        trackingUid: trackingUid(sourceSeriesInstanceUid, s.label),
        voxels: c,
        volumeMl: (c * mm3) / 1000,
        mean,
        sd,
      };
      if (dixon) m.fatFractionPercent = ffCount[v]! > 0 ? (100 * ffSum[v]!) / ffCount[v]! : null;
      return m;
    });
}
