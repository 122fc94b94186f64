import type { LabelVolume, Volume } from '../../src/dicom/volume.js';
import { phantomOptions } from '../../src/learning/phantom-data.js';
import { legPhantom, type MrContrast } from '../../src/phantom/leg-phantom.js';
import { secondStylePhantom, type SecondStyleContrast } from '../../src/phantom/second-style/index.js';
import { newUid } from '../../src/dicom/synthetic-mr.js';
import { writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';

/**
 * The site of the experiment (issue 15): its series are of the second phantom style, which the demo
 * model never saw (src/phantom/second-style, docs/phantoms.md), acquired axially as a calf protocol
 * does — 256² at 0.66 mm, 24 slices 5 mm apart — in the contrasts of a muscle protocol, one per
 * series, in turn. The "original style" series are the demo model's own generator on seeds it was
 * never trained on (training 100–147, held-out 9001–9006, card reference 8101–8124 / 9101–9106):
 * they measure forgetting.
 */
export const SITE_CONTRASTS: readonly SecondStyleContrast[] = ['T1', 'T2-fatsat', 'dixon-water', 'PD'];
const ORIGINAL_CONTRASTS: readonly MrContrast[] = ['T1', 'T2', 'PD'];

export interface CaseVolume {
  name: string;
  style: 'second' | 'original';
  contrast: string;
  volume: Volume;
  /** Exact labels on the volume's grid (the reader's perfect correction). */
  labels: LabelVolume;
}

export function siteCase(seed: number, index: number): CaseVolume {
  const contrast = SITE_CONTRASTS[index % SITE_CONTRASTS.length]!;
  const p = secondStylePhantom({ seed, contrast, rows: 256, columns: 256, slices: 24, pixelSpacing: [0.66, 0.66], sliceSpacing: 5 });
  return { name: `second-${seed}`, style: 'second', contrast, volume: p.volume, labels: p.labels };
}

export function originalCase(seed: number, index: number): CaseVolume {
  const contrast = ORIGINAL_CONTRASTS[index % ORIGINAL_CONTRASTS.length]!;
  const p = legPhantom(phantomOptions(seed, contrast, { slices: 14 }));
  return { name: `original-${seed}`, style: 'original', contrast, volume: p.volume, labels: p.labels };
}

/** The case as a new DICOM MR series (new study and series UIDs on every call), files shuffled. */
export function writeCase(c: CaseVolume, n: number): Promise<WrittenSeries> {
  // New SOP Instance UIDs too: the phantom's own are fixed per volume (write-series.ts uses them).
  const volume = { ...c.volume, sources: c.volume.sources.map((x) => ({ ...x, sopInstanceUid: newUid() })) };
  return writeLegSeries(volume, {
    seriesDescription: `${c.contrast} calf axial`,
    bodyPartExamined: 'LEG',
    patientId: `SITE-${c.name}`,
    patientName: `Site^${c.name}`,
    shuffle: n + 1,
    // New study and series each time: the same anatomy acquired again is a new series to the PACS.
    studyInstanceUID: newUid(),
    seriesInstanceUID: newUid(),
    date: new Date('2026-12-01T08:00:00Z'),
  });
}

export interface SeedSet {
  train: number[];
  heldOut: number[];
  original: number[];
}

/** Seeds of set k (1, 2, 3, …): disjoint between sets and from everything the model was made with. */
export function seedSet(k: number, o: { train: number; heldOut: number; original: number }): SeedSet {
  const base = 20_000 + 1000 * k;
  return {
    train: Array.from({ length: o.train }, (_, i) => base + i),
    heldOut: Array.from({ length: o.heldOut }, (_, i) => base + 500 + i),
    original: Array.from({ length: o.original }, (_, i) => 9300 + 20 * k + i),
  };
}
