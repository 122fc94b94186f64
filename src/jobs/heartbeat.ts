import os from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';

/**
 * Heartbeats for running jobs (issue 17 item 4). pg-boss 10 has none: a job whose worker died
 * stays `active` until its expiry (`jobs.expireInSeconds`, 900 s), since that is also the longest
 * a job may legitimately run. So each running job also holds a lease in `job_lease` that its
 * worker renews every `heartbeatSeconds`; every worker process reaps leases not renewed for
 * `heartbeatTimeoutSeconds` and puts their jobs back to `retry`, startable at once. expire_in is
 * left alone: it stays the run-time limit pg-boss enforces in the worker.
 *
 * Safety: the reap is one UPDATE that requires the job to be `active` with the retry_count of the
 * run that took the lease (pg-boss increments it on every fetch), so concurrent reapers, or a
 * reaper racing a worker that already took the job again, cannot fail a live run. A process never
 * reaps its own leases: if it is alive to reap, its jobs are too (after an event-loop stall its
 * reaper may fire before its heartbeats). On the embedded database there is only one process, so
 * no leases are taken at all: its start fails what its previous run left active (recoverOrphans).
 */
export interface HeartbeatOptions {
  heartbeatSeconds: number;
  heartbeatTimeoutSeconds: number;
}

/** A name of this process in job_lease, for operators ("which worker runs this job"). */
export const WORKER_NAME = `${os.hostname()}:${process.pid}`;

export class JobLeases {
  private reaper: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database, private readonly schema: string, private readonly log: Logger, private readonly o: HeartbeatOptions) {}

  private get shared(): boolean {
    return this.db.kind !== 'pglite';
  }

  /** Runs `fn` while holding the lease of this run (job id + attempt), renewing it every heartbeat. */
  async hold<T>(jobId: string, attempt: number, fn: () => Promise<T>): Promise<T> {
    if (!this.shared) return fn();
    await this.renew(jobId, attempt);
    let lost = false;
    const timer = setInterval(() => {
      this.renew(jobId, attempt).then(
        (ok) => {
          if (!ok && !lost) {
            lost = true;
            // Only after the event loop or the database stalled longer than the timeout: another
            // worker may now run this job too (docs/routing.md "Known limits").
            this.log.warn({ jobId, attempt }, 'job lease lost: it was given to another worker');
          }
        },
        (err: Error) => this.log.warn({ jobId, err: err.message }, 'job heartbeat failed; retrying at the next beat'),
      );
    }, this.o.heartbeatSeconds * 1000);
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      await this.db.dataSource.query('DELETE FROM job_lease WHERE job_id = $1 AND attempt = $2', [jobId, attempt]).catch(() => undefined);
    }
  }

  /** Takes or renews the lease; false when the job is no longer this run's (reaped, re-fetched). */
  private async renew(jobId: string, attempt: number): Promise<boolean> {
    const rows = await this.rows(
      `INSERT INTO job_lease (job_id, attempt, worker, renewed_at)
         SELECT $1, $2, $3, now() WHERE EXISTS (SELECT 1 FROM ${this.schema}.job WHERE id = $1 AND state = 'active' AND retry_count = $2)
       ON CONFLICT (job_id) DO UPDATE SET renewed_at = now(), worker = EXCLUDED.worker, attempt = EXCLUDED.attempt WHERE job_lease.attempt <= EXCLUDED.attempt
       RETURNING job_id`,
      [jobId, attempt, WORKER_NAME],
    );
    return rows.length === 1;
  }

  /** Reaps every `heartbeatSeconds` in this process (every worker process does; the reap is atomic). */
  startReaper(): void {
    if (!this.shared) return;
    this.reaper ??= setInterval(() => void this.reap().catch((err: Error) => this.log.warn({ err: err.message }, 'job lease reaper failed')), this.o.heartbeatSeconds * 1000);
    this.reaper.unref();
  }

  stopReaper(): void {
    clearInterval(this.reaper);
    this.reaper = undefined;
  }

  /**
   * Jobs whose lease was not renewed in time go back to `retry` (start now), or to `failed` when
   * their retries are used up: a job that kills its worker every time must end somewhere. The
   * next fetch counts the attempt (pg-boss increments retry_count when started_on is set).
   */
  async reap(): Promise<{ id: string; name: string; state: string }[]> {
    const s = this.schema;
    const reaped = await this.rows(
      `WITH stale AS (
         SELECT job_id, attempt, worker FROM job_lease WHERE renewed_at < now() - make_interval(secs => $1::float8) AND worker <> $2
       ), moved AS (
         UPDATE ${s}.job j SET
           state = CASE WHEN j.retry_count < j.retry_limit THEN 'retry'::${s}.job_state ELSE 'failed'::${s}.job_state END,
           start_after = now(),
           completed_on = CASE WHEN j.retry_count < j.retry_limit THEN NULL ELSE now() END,
           output = jsonb_build_object('message', 'the worker running this job stopped (' || stale.worker || ', no heartbeat for ' || ($1::float8)::text || ' s); retried')
         FROM stale WHERE j.id = stale.job_id AND j.state = 'active' AND j.retry_count = stale.attempt
         RETURNING j.id, j.name, j.state::text AS state
       ), gone AS (
         DELETE FROM job_lease l USING stale WHERE l.job_id = stale.job_id AND l.attempt = stale.attempt
       )
       SELECT id, name, state FROM moved`,
      [this.o.heartbeatTimeoutSeconds, WORKER_NAME],
    );
    const out = reaped as { id: string; name: string; state: string }[];
    for (const r of out) this.log.warn({ jobId: r.id, type: r.name, state: r.state }, 'job of a stopped worker taken back (no heartbeat)');
    return out;
  }

  /** Rows of an INSERT / UPDATE … RETURNING, whichever shape the driver gives. */
  private async rows(sql: string, params: unknown[]): Promise<unknown[]> {
    const runner = this.db.dataSource.createQueryRunner();
    try {
      const r = (await runner.query(sql, params, true)) as { records?: unknown[] };
      return Array.isArray(r.records) ? r.records : [];
    } finally {
      await runner.release();
    }
  }
}
