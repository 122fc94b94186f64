/**
 * AI results: one row per AI SEG the node made (table `ai_result`, migrations/1764190000000-routing-jobs.ts).
 *
 * This is the contract between whoever produces AI SEGs (routing / inference jobs) and review:
 * a producer calls `create` after storing the SEG in the archive; review reads and updates the
 * status. Columns read here: id, study_instance_uid, source_series_instance_uid,
 * seg_series_instance_uid, seg_sop_instance_uid, model_id, generation, delivery, status, job_id,
 * created_at.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/data-source.js';

export type ResultStatus = 'pending' | 'accepted' | 'corrected' | 'rejected';
export const RESULT_STATUSES: readonly ResultStatus[] = ['pending', 'accepted', 'corrected', 'rejected'];

/** Whether a result goes to the PACS at once or only after a reader accepted or corrected it. */
export type Delivery = 'immediate' | 'after_review';

export interface AiResult {
  id: string;
  studyInstanceUid: string;
  sourceSeriesInstanceUid: string;
  segSeriesInstanceUid: string;
  segSopInstanceUid: string;
  modelId: string;
  generation: number;
  delivery: Delivery;
  status: ResultStatus;
  jobId: string | null;
  createdAt: string;
}

/** What a producer supplies; the rest (id, review status, time) the database fills in. */
export type NewAiResult = Omit<AiResult, 'id' | 'status' | 'createdAt' | 'delivery' | 'jobId'> & {
  delivery?: Delivery;
  jobId?: string | null;
};

interface Row {
  id: string | number;
  study_instance_uid: string;
  source_series_instance_uid: string;
  seg_series_instance_uid: string;
  seg_sop_instance_uid: string;
  model_id: string;
  generation: number | string;
  delivery: Delivery;
  status: ResultStatus;
  job_id: string | null;
  created_at: Date | string;
}

const COLUMNS = 'id, study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid, model_id, generation, delivery, status, job_id, created_at';

// PGlite answers bigint as number, node-postgres as string: ids are strings in our JSON.
const toResult = (r: Row): AiResult => ({
  id: String(r.id),
  studyInstanceUid: r.study_instance_uid,
  sourceSeriesInstanceUid: r.source_series_instance_uid,
  segSeriesInstanceUid: r.seg_series_instance_uid,
  segSopInstanceUid: r.seg_sop_instance_uid,
  modelId: r.model_id,
  generation: Number(r.generation),
  delivery: r.delivery,
  status: r.status,
  jobId: r.job_id,
  createdAt: new Date(r.created_at).toISOString(),
});

export interface ResultFilter {
  studyInstanceUid?: string;
  status?: ResultStatus;
  limit?: number;
}

type Runner = Pick<EntityManager, 'query'>;

export class ResultRepository {
  constructor(private readonly db: Database) {}

  async create(r: NewAiResult, m: Runner = this.db.dataSource): Promise<AiResult> {
    const rows = (await m.query(
      `INSERT INTO ai_result (study_instance_uid, source_series_instance_uid, seg_series_instance_uid, seg_sop_instance_uid, model_id, generation, delivery, job_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [r.studyInstanceUid, r.sourceSeriesInstanceUid, r.segSeriesInstanceUid, r.segSopInstanceUid, r.modelId, r.generation, r.delivery ?? 'after_review', r.jobId ?? null],
    )) as Row[];
    return toResult(rows[0]!);
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
    const rows = (await m.query('UPDATE ai_result SET status = $3 WHERE id = $1 AND status = $2 RETURNING id', [id, from, to])) as unknown[];
    // TypeORM's postgres driver answers UPDATE ... RETURNING as [rows, count].
    const hit = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
    return hit > 0;
  }
}
