/**
 * The readers' worklist: studies that have AI results, those with pending results first (oldest
 * pending first, so nothing waits forever), then the reviewed ones, newest first. Skipped series
 * (no SEG, nothing to review) are not part of it: a study with only those is not listed.
 */
import type { Database } from '../db/data-source.js';

export interface WorklistEntry {
  studyInstanceUid: string;
  studyDate: string | null;
  studyDescription: string | null;
  accessionNumber: string | null;
  pending: number;
  reviewed: number;
  /** Models that made results for this study, e.g. ["leg-muscles gen 3"]. */
  models: string[];
  oldestPendingAt: string | null;
  latestAt: string;
}

interface Row {
  study_instance_uid: string;
  study_date: string | null;
  study_description: string | null;
  accession_number: string | null;
  pending: number | string;
  reviewed: number | string;
  models: string[];
  oldest_pending_at: Date | string | null;
  latest_at: Date | string;
}

export async function worklist(db: Database, limit = 200): Promise<WorklistEntry[]> {
  const rows = (await db.dataSource.query(
    `SELECT a.study_instance_uid,
            max(st.study_date) AS study_date, max(st.study_description) AS study_description, max(st.accession_number) AS accession_number,
            count(*) FILTER (WHERE a.status = 'pending') AS pending,
            count(*) FILTER (WHERE a.status <> 'pending') AS reviewed,
            array_agg(DISTINCT a.model_id || ' gen ' || a.generation) AS models,
            min(a.created_at) FILTER (WHERE a.status = 'pending') AS oldest_pending_at,
            max(a.created_at) AS latest_at
       FROM ai_result a
       LEFT JOIN study st ON st.study_instance_uid = a.study_instance_uid
      WHERE a.outcome = 'segmented'
      GROUP BY a.study_instance_uid
      ORDER BY (count(*) FILTER (WHERE a.status = 'pending') > 0) DESC,
               min(a.created_at) FILTER (WHERE a.status = 'pending') ASC NULLS LAST,
               max(a.created_at) DESC
      LIMIT $1`,
    [Math.min(Math.max(limit, 1), 2000)],
  )) as Row[];
  return rows.map((r) => ({
    studyInstanceUid: r.study_instance_uid,
    studyDate: r.study_date,
    studyDescription: r.study_description,
    accessionNumber: r.accession_number,
    pending: Number(r.pending),
    reviewed: Number(r.reviewed),
    models: r.models,
    oldestPendingAt: r.oldest_pending_at === null ? null : new Date(r.oldest_pending_at).toISOString(),
    latestAt: new Date(r.latest_at).toISOString(),
  }));
}
