import type { Database } from '../db/data-source.js';
import { returnedRows } from '../db/returned-rows.js';

/**
 * Learning runs as stored in `learning_run` (migration 1764220000000) and as the API shows them
 * (contract: GET /api/v1/learning/runs). Runs are never deleted: they are the nightly record.
 */
export type RunStatus = 'running' | 'done' | 'skipped' | 'failed' | 'rejected';
export type RunTrigger = 'schedule' | 'cli' | 'api';

export interface LearningRunView {
  id: string;
  modelId: string;
  trigger: RunTrigger;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  reason: string | null;
  slices: number;
  baseGeneration: number | null;
  candidateGeneration: number | null;
  gate: unknown;
  /** Continual-learning metrics (learning-metrics.ts); null when the run never reached the gate. */
  metrics: unknown;
  progress: number;
  progressMessage: string | null;
  jobId: string | null;
}

interface Row {
  id: string | number;
  model_id: string;
  trigger: RunTrigger;
  actor: string;
  status: RunStatus;
  reason: string | null;
  slices: number | string;
  base_generation: number | null;
  candidate_generation: number | null;
  gate: unknown;
  metrics: unknown;
  progress: number | string;
  progress_message: string | null;
  job_id: string | null;
  started_at: Date | string;
  finished_at: Date | string | null;
}

const toView = (r: Row): LearningRunView => ({
  id: String(r.id),
  modelId: r.model_id,
  trigger: r.trigger,
  actor: r.actor,
  startedAt: new Date(r.started_at).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  status: r.status,
  reason: r.reason,
  slices: Number(r.slices),
  baseGeneration: r.base_generation === null ? null : Number(r.base_generation),
  candidateGeneration: r.candidate_generation === null ? null : Number(r.candidate_generation),
  gate: typeof r.gate === 'string' ? (JSON.parse(r.gate) as unknown) : r.gate,
  metrics: typeof r.metrics === 'string' ? (JSON.parse(r.metrics) as unknown) : (r.metrics ?? null),
  progress: Number(r.progress),
  progressMessage: r.progress_message,
  jobId: r.job_id,
});

export interface RunUpdate {
  status?: RunStatus;
  reason?: string | null;
  slices?: number;
  baseGeneration?: number | null;
  candidateGeneration?: number | null;
  gate?: unknown;
  metrics?: unknown;
  progress?: number;
  progressMessage?: string | null;
  jobId?: string | null;
  finished?: boolean;
}

const COLUMNS: Record<Exclude<keyof RunUpdate, 'finished'>, string> = {
  status: 'status',
  reason: 'reason',
  slices: 'slices',
  baseGeneration: 'base_generation',
  candidateGeneration: 'candidate_generation',
  gate: 'gate',
  metrics: 'metrics',
  progress: 'progress',
  progressMessage: 'progress_message',
  jobId: 'job_id',
};

export class RunStore {
  constructor(private readonly db: Database) {}

  /** Inserts a running run; the partial unique index refuses a second running one (code 23505). */
  async start(modelId: string, trigger: RunTrigger, actor: string): Promise<LearningRunView> {
    const rows = (await this.db.dataSource.query(`INSERT INTO learning_run (model_id, trigger, actor, status, progress_message) VALUES ($1, $2, $3, 'running', 'starting') RETURNING *`, [modelId, trigger, actor])) as Row[];
    return toView(rows[0]!);
  }

  async update(id: string, u: RunUpdate): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [k, col] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string][]) {
      if (u[k] === undefined) continue;
      const v = k === 'gate' || k === 'metrics' ? JSON.stringify(u[k]) : u[k];
      sets.push(`${col} = $${params.push(v)}`);
    }
    if (u.finished) sets.push('finished_at = now()');
    if (sets.length) await this.db.dataSource.query(`UPDATE learning_run SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  /** Runs left `running` by a process that is gone (the caller holds the learning lock): failed. */
  async failOrphans(): Promise<number> {
    const r: unknown = await this.db.dataSource.query(
      `UPDATE learning_run SET status = 'failed', reason = 'the process running it stopped before it finished', finished_at = now() WHERE status = 'running' RETURNING id`,
    );
    return returnedRows(r).length;
  }

  async get(id: string): Promise<LearningRunView | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows = (await this.db.dataSource.query('SELECT * FROM learning_run WHERE id = $1', [id])) as Row[];
    return rows[0] ? toView(rows[0]) : undefined;
  }

  async running(): Promise<LearningRunView | undefined> {
    const rows = (await this.db.dataSource.query(`SELECT * FROM learning_run WHERE status = 'running' LIMIT 1`)) as Row[];
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Newest first. */
  async list(f: { modelId?: string; limit?: number } = {}): Promise<LearningRunView[]> {
    const params: unknown[] = [];
    const where = f.modelId ? `WHERE model_id = $${params.push(f.modelId)}` : '';
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const rows = (await this.db.dataSource.query(`SELECT * FROM learning_run ${where} ORDER BY id DESC LIMIT ${limit}`, params)) as Row[];
    return rows.map(toView);
  }
}
