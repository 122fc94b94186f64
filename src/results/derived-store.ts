/**
 * Stores the SR and overlay of a result (or of its correction) in the archive and records them:
 * `result_object` per instance (delivery picks them by profile), `result_measurement` with the
 * numbers (the console and its longitudinal plot). Also rebuilds them from what the archive holds
 * (source series + a stored SEG), for a corrected SEG and for a job retried after a crash between
 * storing the AI SEG and making its SR.
 */
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import { buildVolume } from '../dicom/series-volume.js';
import { storeObject } from '../inference/inference-job.js';
import { loadInstance } from '../review/seg-pair.js';
import { loadSeriesSnapshot } from '../routing/series-snapshot.js';
import { readSeg } from '../seg/seg-reader.js';
import type { SegEquipment } from '../seg/seg-writer.js';
import { sourceAttributes } from '../inference/segment-series.js';
import { buildDerived, type BuildDerivedInput, type BuiltDerived } from './build-derived.js';
import { loadDixon } from './dixon-source.js';

export interface StoredDerived {
  sr: string;
  overlay: { sop: string; instanceNumber: number }[];
}

export async function storeDerived(archive: Archive, resultId: string, reviewId: string | null, built: BuiltDerived, dixonNote: string): Promise<StoredDerived> {
  const sr = await storeObject(archive, built.sr.bytes);
  const overlay: StoredDerived['overlay'] = [];
  for (const [k, o] of built.overlay.entries()) {
    const rec = await storeObject(archive, o.bytes);
    overlay.push({ sop: rec.sopInstanceUid, instanceNumber: k + 1 });
  }
  await archive.db.transaction(async (m) => {
    await m.query(`INSERT INTO result_object (ai_result_id, review_id, kind, series_instance_uid, sop_instance_uid, instance_number) VALUES ($1, $2, 'sr', $3, $4, 1) ON CONFLICT (sop_instance_uid) DO NOTHING`, [resultId, reviewId, sr.seriesInstanceUid, sr.sopInstanceUid]);
    for (const [k, o] of overlay.entries()) {
      await m.query(`INSERT INTO result_object (ai_result_id, review_id, kind, series_instance_uid, sop_instance_uid, instance_number) VALUES ($1, $2, 'sc-overlay', $3, $4, $5) ON CONFLICT (sop_instance_uid) DO NOTHING`, [resultId, reviewId, built.overlay[k]!.seriesInstanceUid, o.sop, o.instanceNumber]);
    }
    await m.query('INSERT INTO result_measurement (ai_result_id, review_id, sr_sop_instance_uid, measurements, dixon) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb) ON CONFLICT (sr_sop_instance_uid) DO NOTHING', [
      resultId,
      reviewId,
      sr.sopInstanceUid,
      JSON.stringify(built.measurements),
      JSON.stringify({ note: dixonNote }),
    ]);
  });
  return { sr: sr.sopInstanceUid, overlay };
}

/** The derived objects already recorded for a result (reviewId null: the AI result's own). */
export async function recordedDerived(archive: Archive, resultId: string, reviewId: string | null): Promise<StoredDerived | undefined> {
  const rows = (await archive.db.dataSource.query(
    `SELECT kind, sop_instance_uid AS sop, instance_number AS n FROM result_object WHERE ai_result_id = $1 AND review_id IS NOT DISTINCT FROM $2 ORDER BY kind, instance_number`,
    [resultId, reviewId],
  )) as { kind: string; sop: string; n: number | null }[];
  const sr = rows.find((r) => r.kind === 'sr');
  if (!sr) return undefined;
  return { sr: sr.sop, overlay: rows.filter((r) => r.kind === 'sc-overlay').map((r) => ({ sop: r.sop, instanceNumber: Number(r.n) })) };
}

/** In memory → archive, with the Dixon series of the study looked up on the way. */
export async function deriveAndStore(archive: Archive, resultId: string, reviewId: string | null, input: Omit<BuildDerivedInput, 'dixon'>, studyInstanceUid: string, log: Logger): Promise<StoredDerived> {
  const { dixon, note } = await loadDixon(archive, studyInstanceUid, input.volume);
  const built = buildDerived({ ...input, dixon });
  const stored = await storeDerived(archive, resultId, reviewId, built, note);
  log.info({ aiResult: resultId, reviewId, segments: built.measurements.length, overlay: stored.overlay.length, fatFraction: dixon !== undefined }, 'measurement report stored');
  return stored;
}

export interface ArchivedResult {
  id: string;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  modelId: string;
  generation: number;
  modelSha256: string | null;
}

/** Rebuilds the SR (and overlay) of a SEG stored in the archive, on the source series' grid. */
export async function deriveFromArchive(archive: Archive, result: ArchivedResult, segSopInstanceUid: string, o: { reviewId: string | null; overlay: boolean; producer: string; softwareVersion: string; log: Logger }): Promise<StoredDerived> {
  const snap = await loadSeriesSnapshot(archive, result.sourceSeriesInstanceUid);
  if (!snap) throw new Error('the source series is no longer stored');
  const files = await Promise.all(snap.instances.map((i) => archive.blobs.read(i.sha256)));
  const volume = await buildVolume(files);
  const seg = await loadInstance(archive, result.studyInstanceUid, segSopInstanceUid);
  if (!seg) throw new Error('the SEG is not in the archive');
  const read = readSeg(seg.bytes, volume);
  const equipment: SegEquipment = { manufacturerModelName: 'Dafne Node', softwareVersions: o.softwareVersion, deviceSerialNumber: (result.modelSha256 ?? result.modelId).slice(0, 16) };
  return deriveAndStore(
    archive,
    result.id,
    o.reviewId,
    {
      firstSource: files[0]!,
      volume,
      labels: read.labels,
      segments: read.segments,
      seg: { sopInstanceUid: segSopInstanceUid, seriesInstanceUid: seg.instance.seriesInstanceUid },
      producer: o.producer,
      sourceSeriesNumber: sourceAttributes(files[0]!).seriesNumber ?? 0,
      equipment,
      overlay: o.overlay,
    },
    result.studyInstanceUid,
    o.log,
  );
}
