import type { EntityManager } from 'typeorm';
import { cancelSupersededDeliveries } from '../export/supersede.js';
import type { InferenceJobData } from '../routing/route-series.js';

/** What one inference run leaves in `ai_result`: a SEG it stored, or the reason it made none. */
export type RunOutcome = { outcome: 'segmented'; segSeriesInstanceUid: string; segSopInstanceUid: string } | { outcome: 'skipped'; reason: string };

/** The `ai_result` row of a run as the job reads it back (first attempt or a retry after a crash). */
export interface ResultRow {
  id: string | number;
  sop: string | null;
  outcome: 'segmented' | 'skipped';
  reason: string | null;
  timings: unknown;
  /** Queue jobs of the superseded result's deliveries that this insert cancelled (cancel them after the commit). */
  cancelledJobs?: string[];
}

/** The row of this run (series content, model, rule), if an earlier attempt already wrote it. */
export async function findResultRow(m: Pick<EntityManager, 'query'>, d: InferenceJobData): Promise<ResultRow | undefined> {
  const [row] = (await m.query(
    'SELECT id, seg_sop_instance_uid AS sop, outcome, reason, timings FROM ai_result WHERE source_series_instance_uid = $1 AND source_fingerprint = $2 AND model_id = $3 AND rule_id = $4',
    [d.seriesInstanceUid, d.fingerprint, d.model, d.ruleId],
  )) as ResultRow[];
  return row;
}

/**
 * Inserts the run's `ai_result` row and marks the previous current result of the same series, model
 * and rule as superseded by it (late-instance policy, docs/routing.md). A skipped run supersedes too:
 * the older result describes content the series no longer has. Deliveries of the old result that
 * have not reached their destination are cancelled in the same transaction (reason `superseded`,
 * src/export/supersede.ts). Call inside a transaction.
 */
export async function insertResultRow(m: Pick<EntityManager, 'query'>, d: InferenceJobData, run: RunOutcome, meta: { jobId: string; generation: number; modelSha256: string; timings: unknown }): Promise<ResultRow> {
  const [prev] = (await m.query(
    'SELECT id FROM ai_result WHERE source_series_instance_uid = $1 AND model_id = $2 AND rule_id = $3 AND superseded_by IS NULL ORDER BY id DESC LIMIT 1',
    [d.seriesInstanceUid, d.model, d.ruleId],
  )) as { id: string | number }[];
  const seg = run.outcome === 'segmented' ? run : undefined;
  const reason = run.outcome === 'skipped' ? run.reason : null;
  // Review status 'skipped' keeps a skipped row out of everything that looks for 'pending' results.
  const status = seg ? 'pending' : 'skipped';
  const [ins] = (await m.query(
    `INSERT INTO ai_result (study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid, model_id, generation,
                            delivery, status, job_id, source_fingerprint, rule_id, ruleset_version, model_sha256, timings, supersedes, outcome, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17) RETURNING id`,
    [
      d.studyInstanceUid, d.seriesInstanceUid, seg?.segSeriesInstanceUid ?? null, seg?.segSopInstanceUid ?? null, d.model, meta.generation,
      d.review === 'immediate' ? 'immediate' : 'after_review', status, meta.jobId, d.fingerprint, d.ruleId, d.rulesetVersion, meta.modelSha256,
      JSON.stringify(meta.timings), prev?.id ?? null, run.outcome, reason,
    ],
  )) as { id: string | number }[];
  let cancelledJobs: string[] = [];
  if (prev) {
    await m.query('UPDATE ai_result SET superseded_by = $1 WHERE id = $2', [ins!.id, prev.id]);
    cancelledJobs = await cancelSupersededDeliveries(m, prev.id, ins!.id);
  }
  return { id: ins!.id, sop: seg?.segSopInstanceUid ?? null, outcome: run.outcome, reason, timings: meta.timings, cancelledJobs };
}
