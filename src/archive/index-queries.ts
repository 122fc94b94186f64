/**
 * Index look-ups for retrieval (WADO-RS, PS3.18 §10.4): where the stored objects of a study,
 * series or single instance are. Parameterised SQL only; UIDs are validated by the caller.
 */
import type { Database } from '../db/data-source.js';

export interface InstanceScope {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

/** One stored instance, with what retrieval needs to find and serve its bytes. */
export interface StoredInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  /** Blob key (content address) of the Part 10 file. */
  sha256: string;
  size: number;
  transferSyntaxUid: string;
  rows: number | null;
  columns: number | null;
  numberOfFrames: number | null;
  /** File offset of the Pixel Data value, null without (top-level) Pixel Data. */
  pixelDataOffset: number | null;
}

interface Row {
  study: string;
  series: string;
  sop: string;
  cls: string;
  num: number | string | null;
  sha256: string;
  size: number | string;
  ts: string;
  rows: number | string | null;
  columns: number | string | null;
  frames: number | string | null;
  pix: number | string | null;
}

// PGlite returns bigint columns as numbers, node-postgres as strings: normalise both.
const num = (v: number | string | null): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The instances in scope, ordered by series (Series Number, then UID) and then Instance Number
 * (then SOP Instance UID), or an empty list when nothing matches.
 */
export async function findInstances(db: Database, scope: InstanceScope): Promise<StoredInstance[]> {
  const params: string[] = [scope.studyUid];
  let where = 'st.study_instance_uid = $1';
  if (scope.seriesUid !== undefined) {
    params.push(scope.seriesUid);
    where += ` AND se.series_instance_uid = $${params.length}`;
  }
  if (scope.sopUid !== undefined) {
    params.push(scope.sopUid);
    where += ` AND i.sop_instance_uid = $${params.length}`;
  }
  const rows = (await db.dataSource.query(
    `SELECT st.study_instance_uid AS study, se.series_instance_uid AS series, i.sop_instance_uid AS sop,
            i.sop_class_uid AS cls, i.instance_number AS num, i.sha256, i.size, i.transfer_syntax_uid AS ts,
            i.rows, i.columns, i.number_of_frames AS frames, i.pixel_data_offset AS pix
       FROM instance i
       JOIN series se ON se.id = i.series_fk
       JOIN study st ON st.id = se.study_fk
      WHERE ${where}
      ORDER BY se.series_number NULLS LAST, se.series_instance_uid, i.instance_number NULLS LAST, i.sop_instance_uid`,
    params,
  )) as Row[];
  return rows.map((r) => ({
    studyInstanceUid: r.study,
    seriesInstanceUid: r.series,
    sopInstanceUid: r.sop,
    sopClassUid: r.cls,
    instanceNumber: num(r.num),
    sha256: r.sha256,
    size: Number(r.size),
    transferSyntaxUid: r.ts,
    rows: num(r.rows),
    columns: num(r.columns),
    numberOfFrames: num(r.frames),
    pixelDataOffset: num(r.pix),
  }));
}
