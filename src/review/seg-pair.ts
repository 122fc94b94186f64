/**
 * The AI SEG ↔ corrected SEG pair, decoded from the archive onto the source series' grid, and the
 * per-segment Dice between them. Both SEGs are placed by position (readSeg), so a viewer that
 * writes frames in another order, omits empty frames or renumbers segments still compares exactly.
 */
import type { Archive } from '../archive/archive.js';
import { findInstances, type StoredInstance } from '../archive/index-queries.js';
import { buildVolume } from '../dicom/series-volume.js';
import type { VolumeGeometry } from '../dicom/volume.js';
import { readSeg, type ReadSegResult } from '../seg/seg-reader.js';
import { perSegmentDice, type SegmentDice } from './dice.js';

export class SegPairError extends Error {}

export interface StoredSeg {
  instance: StoredInstance;
  bytes: Buffer;
}

/** A stored instance of `studyUid` by SOP Instance UID, with its bytes. */
export async function loadInstance(archive: Archive, studyUid: string, sopUid: string): Promise<StoredSeg | undefined> {
  const [instance] = await findInstances(archive.db, { studyUid, sopUid });
  if (!instance) return undefined;
  return { instance, bytes: await archive.blobs.read(instance.sha256) };
}

/** The geometry of the source series as stored in the archive. */
export async function sourceGeometry(archive: Archive, studyUid: string, seriesUid: string): Promise<VolumeGeometry> {
  const instances = await findInstances(archive.db, { studyUid, seriesUid });
  if (instances.length === 0) throw new SegPairError(`source series ${seriesUid} is not in the archive`);
  const volume = await buildVolume(
    (async function* () {
      for (const i of instances) yield await archive.blobs.read(i.sha256);
    })(),
  );
  const { data: _pixels, ...geometry } = volume;
  return geometry;
}

export interface PairComparison {
  ai: ReadSegResult;
  corrected: ReadSegResult;
  dice: SegmentDice[];
}

export function compareSegs(aiBytes: Buffer, correctedBytes: Buffer, grid: VolumeGeometry): PairComparison {
  const ai = readSeg(aiBytes, grid);
  const corrected = readSeg(correctedBytes, grid);
  const refs = (r: ReadSegResult) => r.segments.map((s) => ({ number: s.labelValue, label: s.label }));
  return { ai, corrected, dice: perSegmentDice(ai.labels.data, refs(ai), corrected.labels.data, refs(corrected)) };
}
