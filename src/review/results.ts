/**
 * AI results: one row per inference outcome (table `ai_result`, migrations/1764190000000-routing-jobs.ts
 * and 1764250000000-skipped-results.ts): an AI SEG the node made, or a series it skipped.
 *
 * This is the contract between whoever produces AI SEGs (routing / inference jobs) and review:
 * a producer calls `create` after storing the SEG in the archive; review reads and updates the
 * status. A skipped result (outcome 'skipped', the series too coarse in the model's plane) has no
 * SEG, a reason, and status 'skipped', which no review can change. Columns read here: id,
 * study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid,
 * model_id, generation, delivery, status, job_id, created_at, outcome, reason.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/data-source.js';
import { returnedRows } from '../db/returned-rows.js';

/** Review status; 'skipped' only for a skipped result (there was nothing to review). */
export type ResultStatus = 'pending' | 'accepted' | 'corrected' | 'rejected' | 'skipped';
export const RESULT_STATUSES: readonly ResultStatus[] = ['pending', 'accepted', 'corrected', 'rejected', 'skipped'];

/** What the inference job did: made a SEG, or skipped the series (with `reason`). */
export type ResultOutcome = 'segmented' | 'skipped';
export const RESULT_OUTCOMES: readonly ResultOutcome[] = ['segmented', 'skipped'];

/** Whether a result goes to the PACS at once or only after a reader accepted or corrected it. */
export type Delivery = 'immediate' | 'after_review';

interface ResultBase {
  id: string;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  modelId: string;
  generation: number;
  delivery: Delivery;
  jobId: string | null;
  createdAt: string;
}

/** A result with an AI SEG in the archive: the only kind review and delivery handle. */
export interface SegmentedResult extends ResultBase {
  outcome: 'segmented';
  segSeriesInstanceUid: string;
  segSopInstanceUid: string;
  status: Exclude<ResultStatus, 'skipped'>;
  reason: null;
}

/** A series the model could not read sensibly: no SEG, never reviewed, never delivered. */
export interface SkippedResult extends ResultBase {
  outcome: 'skipped';
  segSeriesInstanceUid: null;
  segSopInstanceUid: null;
  status: 'skipped';
  /** e.g. "skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model". */
  reason: string;
}

export type AiResult = SegmentedResult | SkippedResult;

/** What a producer supplies; the rest (id, review status, time) the database fills in. */
export type NewAiResult = Omit<SegmentedResult, 'id' | 'status' | 'createdAt' | 'delivery' | 'jobId' | 'outcome' | 'reason'> & {
  delivery?: Delivery;
  jobId?: string | null;
};

interface Row {
  id: string | number;
  study_instance_uid: string;
  source_series_instance_uid: string;
  seg_series_instance_uid: string | null;
  seg_sop_instance_uid: string | null;
  model_id: string;
  generation: number | string;
  delivery: Delivery;
  status: ResultStatus;
  job_id: string | null;
  created_at: Date | string;
  outcome: ResultOutcome;
  reason: string | null;
}

const COLUMNS = 'id, study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid, model_id, generation, delivery, status, job_id, created_at, outcome, reason';

// PGlite answers bigint as number, node-postgres as string: ids are strings in our JSON.
// The table's CHECK (1764250000000-skipped-results) guarantees the pairing the union states.
const toResult = (r: Row): AiResult => {
  const base: ResultBase = {
    id: String(r.id),
    studyInstanceUid: r.study_instance_uid,
    sourceSeriesInstanceUid: r.source_series_instance_uid,
    modelId: r.model_id,
    generation: Number(r.generation),
    delivery: r.delivery,
    jobId: r.job_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
  if (r.outcome === 'skipped') return { ...base, outcome: 'skipped', segSeriesInstanceUid: null, segSopInstanceUid: null, status: 'skipped', reason: r.reason ?? '' };
  return { ...base, outcome: 'segmented', segSeriesInstanceUid: r.seg_series_instance_uid!, segSopInstanceUid: r.seg_sop_instance_uid!, status: r.status as SegmentedResult['status'], reason: null };
};

export interface ResultFilter {
  studyInstanceUid?: string;
  status?: ResultStatus;
  outcome?: ResultOutcome;
  limit?: number;
}

type Runner = Pick<EntityManager, 'query'>;

export class ResultRepository {
  constructor(private readonly db: Database) {}

  async create(r: NewAiResult, m: Runner = this.db.dataSource): Promise<SegmentedResult> {
    const rows = (await m.query(
      `INSERT INTO ai_result (study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid, model_id, generation, delivery, job_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [r.studyInstanceUid, r.sourceSeriesInstanceUid, r.segSeriesInstanceUid, r.segSopInstanceUid, r.modelId, r.generation, r.delivery ?? 'after_review', r.jobId ?? null],
    )) as Row[];
    return toResult(rows[0]!) as SegmentedResult;
  }

  async get(id: string, m: Runner = this.db.dataSource): Promise<AiResult | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows = (await m.query(`SELECT ${COLUMNS} FROM ai_result WHERE id = $1`, [id])) as Row[];
    return rows[0] ? toResult(rows[0]) : undefined;
  }

  /** Newest first; pending ones before the others when no status is asked for. */
  async list(f: ResultFilter = {}): Promise<AiResult[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.studyInstanceUid) where.push(`study_instance_uid = $${params.push(f.studyInstanceUid)}`);
    if (f.status) where.push(`status = $${params.push(f.status)}`);
    if (f.outcome) where.push(`outcome = $${params.push(f.outcome)}`);
    const limit = Math.min(Math.max(f.limit ?? 500, 1), 5000);
    const rows = (await this.db.dataSource.query(
      `SELECT ${COLUMNS} FROM ai_result ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY (status = 'pending') DESC, created_at DESC, id DESC LIMIT ${limit}`,
      params,
    )) as Row[];
    return rows.map(toResult);
  }

  /** Sets the status only if it still is `from` (no lost update between two readers). */
  async transition(id: string, from: ResultStatus, to: ResultStatus, m: Runner): Promise<boolean> {
    const r: unknown = await m.query('UPDATE ai_result SET status = $3 WHERE id = $1 AND status = $2 RETURNING id', [id, from, to]);
    return returnedRows(r).length > 0;
  }
}
