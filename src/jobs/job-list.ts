import type { Database } from '../db/data-source.js';
import { BOSS_SCHEMA } from './queue.js';

/**
 * Jobs as the API shows them. pg-boss states map one to one, except that pg-boss `failed` (retries
 * exhausted, or a permanent failure) is called `dead-letter`, with the failure message as `reason`.
 */
export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'dead-letter';
export const JOB_STATES: readonly JobState[] = ['created', 'retry', 'active', 'completed', 'cancelled', 'dead-letter'];

export interface JobView {
  id: string;
  type: string;
  state: JobState;
  priority: number;
  /** Failed attempts so far, and how many retries are allowed. */
  retryCount: number;
  retryLimit: number;
  data: unknown;
  /** The handler's result (completed) or the last error (retry / dead-letter). */
  output: unknown;
  /**
   * Why the job ended as it did, in one line: the error message (retry / dead-letter), or for a
   * completed job the `reason` its handler gave in the result, if any (an inference job that
   * skipped its series: "skipped: plane coronal, ..."). Null otherwise.
   */
  reason: string | null;
  progress: number | null;
  progressMessage: string | null;
  createdAt: string;
  startedAt: string | null;
  startAfter: string | null;
  completedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  state: string;
  priority: number;
  retry_count: number;
  retry_limit: number;
  data: unknown;
  output: unknown;
  created_on: Date | string;
  started_on: Date | string | null;
  start_after: Date | string | null;
  completed_on: Date | string | null;
  progress: number | null;
  message: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());

/** The message of a pg-boss output: a serialised Error ({ message }) or pg-boss's { value: { message } }. */
export function reasonOf(output: unknown): string | null {
  if (!output || typeof output !== 'object') return null;
  const o = output as { message?: unknown; value?: { message?: unknown } };
  if (typeof o.message === 'string') return o.message;
  if (o.value && typeof o.value.message === 'string') return o.value.message;
  return null;
}

/** The `reason` string of a completed job's result (plain object, or pg-boss's { value } wrapping). */
export function completedReasonOf(output: unknown): string | null {
  if (!output || typeof output !== 'object') return null;
  const o = output as { reason?: unknown; value?: { reason?: unknown } };
  if (typeof o.reason === 'string') return o.reason;
  if (o.value && typeof o.value === 'object' && typeof o.value.reason === 'string') return o.value.reason;
  return null;
}

function toView(r: Row): JobView {
  const state = (r.state === 'failed' ? 'dead-letter' : r.state) as JobState;
  return {
    id: r.id,
    type: r.name,
    state,
    priority: Number(r.priority),
    retryCount: Number(r.retry_count),
    retryLimit: Number(r.retry_limit),
    data: r.data,
    output: r.output ?? null,
    reason: state === 'dead-letter' || state === 'retry' ? reasonOf(r.output) : state === 'completed' ? completedReasonOf(r.output) : null,
    progress: r.progress === null || r.progress === undefined ? (state === 'completed' ? 1 : null) : Number(r.progress),
    progressMessage: r.message ?? null,
    createdAt: iso(r.created_on)!,
    startedAt: iso(r.started_on),
    startAfter: iso(r.start_after),
    completedAt: iso(r.completed_on),
  };
}

const SELECT = (table: string) => `
  SELECT j.id::text AS id, j.name, j.state::text AS state, j.priority, j.retry_count, j.retry_limit, j.data, j.output,
         j.created_on, j.started_on, j.start_after, j.completed_on, p.progress, p.message
    FROM ${BOSS_SCHEMA}.${table} j LEFT JOIN job_progress p ON p.job_id = j.id`;

export interface JobFilter {
  type?: string;
  state?: JobState;
  limit?: number;
  offset?: number;
}

/** Lists jobs, newest first (live and archived). */
export async function listJobs(db: Database, f: JobFilter = {}): Promise<JobView[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (f.type) {
    params.push(f.type);
    where.push(`name = $${params.length}`);
  }
  if (f.state) {
    params.push(f.state === 'dead-letter' ? 'failed' : f.state);
    where.push(`state = $${params.length}`);
  }
  params.push(Math.min(f.limit ?? 100, 1000), f.offset ?? 0);
  const sql = `SELECT * FROM (${SELECT('job')} UNION ALL ${SELECT('archive')}) x
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY created_on DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`;
  return ((await db.dataSource.query(sql, params)) as Row[]).map(toView);
}

export async function getJob(db: Database, id: string): Promise<JobView | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const rows = (await db.dataSource.query(`SELECT * FROM (${SELECT('job')} UNION ALL ${SELECT('archive')}) x WHERE id = $1`, [id])) as Row[];
  return rows[0] ? toView(rows[0]) : undefined;
}

/** Counts by type and state, for the API summary and the benchmark. */
export async function jobCounts(db: Database): Promise<Record<string, Record<string, number>>> {
  const rows = (await db.dataSource.query(`SELECT name, state::text AS state, count(*)::int AS n FROM ${BOSS_SCHEMA}.job GROUP BY name, state`)) as { name: string; state: string; n: number }[];
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) (out[r.name] ??= {})[r.state === 'failed' ? 'dead-letter' : r.state] = Number(r.n);
  return out;
}
