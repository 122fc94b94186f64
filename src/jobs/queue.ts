import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import { bossDb, type BossDb } from './boss-db.js';
import { JobLeases } from './heartbeat.js';

export interface QueueOptions {
  retryLimit: number;
  retryDelaySeconds: number;
  pollingIntervalSeconds: number;
  expireInSeconds: number;
  /** Defaults 10 / 30 (config `jobs.heartbeatSeconds` / `heartbeatTimeoutSeconds`). */
  heartbeatSeconds?: number;
  heartbeatTimeoutSeconds?: number;
}

/** Per job type: its own retry limit and, instead of pg-boss's unbounded doubling, its own delays. */
export interface JobTypeOptions {
  retryLimit?: number;
  /** Seconds before the next attempt after `retriesSoFar` failed retries (e.g. export/retry-schedule.ts). */
  retryDelaySeconds?: (retriesSoFar: number) => number;
}

/** What a handler gets: the job, and a way to report progress (0..1) shown in /api/v1/jobs. */
export interface RunningJob<T> {
  id: string;
  type: string;
  data: T;
  /** Retries so far (0 on the first attempt). */
  attempt: number;
  /** The retries this job may have: a failure at attempt >= retryLimit is its last. */
  retryLimit: number;
  progress(fraction: number, message?: string): Promise<void>;
}

export type JobHandler<T> = (job: RunningJob<T>) => Promise<unknown>;

/**
 * A failure that retrying cannot fix (e.g. the destination refused the instance): the job goes to
 * dead-letter at once, with this message as the reason.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface SendOptions {
  /** A derived id (jobIdFor) makes the send idempotent. */
  id?: string;
  /** Higher runs first (pg-boss priority). */
  priority?: number;
  retryLimit?: number;
}

export const BOSS_SCHEMA = 'pgboss';

/**
 * The generic durable queue (DESIGN: jobs/ knows no job types; each domain owns its *-job.ts):
 * pg-boss 10 in the node's own database, its SQL routed through `Database` (boss-db.ts).
 * Retries use pg-boss's exponential backoff (delay × 2^n with jitter); a job whose retries are
 * exhausted, or that threw PermanentJobError, ends in pg-boss state `failed`, which the API calls
 * dead-letter, with the error message as the reason.
 */
export class JobQueue {
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  private readonly types = new Map<string, JobTypeOptions>();
  private readonly workers = new Map<string, string[]>();
  private readonly adapter: BossDb;
  readonly leases: JobLeases;

  constructor(private readonly db: Database, private readonly log: Logger, readonly opts: QueueOptions) {
    this.adapter = bossDb(db);
    this.leases = new JobLeases(db, BOSS_SCHEMA, log, { heartbeatSeconds: opts.heartbeatSeconds ?? 10, heartbeatTimeoutSeconds: opts.heartbeatTimeoutSeconds ?? 30 });
  }

  /** Declares a job type (a pg-boss queue); call before start(). */
  defineType(type: string, opts: JobTypeOptions = {}): void {
    this.types.set(type, opts);
  }

  /** The retry limit of new jobs of this type. */
  retryLimitOf(type: string): number {
    return this.types.get(type)?.retryLimit ?? this.opts.retryLimit;
  }

  /** Creates / migrates the pg-boss schema and the queues. `supervise`: run maintenance (expiry). */
  start(opts: { supervise?: boolean } = {}): Promise<PgBoss> {
    this.starting ??= (async () => {
      const boss = new PgBoss({
        db: this.adapter,
        schema: BOSS_SCHEMA,
        supervise: opts.supervise ?? false,
        schedule: false,
        migrate: true,
        maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(this.opts.expireInSeconds / 2))),
        // Keep finished jobs visible in /api/v1/jobs for a week before pg-boss archives them.
        archiveCompletedAfterSeconds: 7 * 24 * 3600,
        archiveFailedAfterSeconds: 30 * 24 * 3600,
      });
      boss.on('error', (err: Error) => this.log.error({ err }, 'job queue error'));
      await boss.start();
      for (const [type, t] of this.types) {
        // A type with its own delays sets each one when an attempt fails (work()); the queue's
        // delay is then only the first one, also used when pg-boss itself expires a job.
        const own = t.retryDelaySeconds;
        const queue = { name: type, retryLimit: this.retryLimitOf(type), retryDelay: own ? own(0) : this.opts.retryDelaySeconds, retryBackoff: !own, expireInSeconds: this.opts.expireInSeconds };
        const existing = await boss.getQueue(type);
        if (existing) await boss.updateQueue(type, queue);
        else await boss.createQueue(type, queue);
      }
      this.boss = boss;
      return boss;
    })();
    return this.starting;
  }

  /** Starts `concurrency` workers for `type` in this process (and the lease reaper, once). */
  async work<T>(type: string, concurrency: number, handler: JobHandler<T>): Promise<void> {
    const boss = await this.start();
    if (concurrency > 0) this.leases.startReaper();
    const t = this.types.get(type) ?? {};
    const ids: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      let self: string | undefined;
      const id = await boss.work<T>(type, { batchSize: 1, pollingIntervalSeconds: this.opts.pollingIntervalSeconds, includeMetadata: true }, async ([job]) => {
        if (!job) return;
        // A worker that found a job fetches again at once (there may be more) instead of
        // sleeping its polling interval: pg-boss 10 skips the sleep when notified.
        if (self) boss.notifyWorker(self);
        // An admin's retry raised the job's own limit; a job queued before the type's limit grew
        // (an upgrade) gets the new one.
        const retryLimit = Math.max(job.retryLimit, this.retryLimitOf(type));
        try {
          return await this.leases.hold(job.id, job.retryCount, () => handler({ id: job.id, type, data: job.data, attempt: job.retryCount, retryLimit, progress: (f, m) => this.setProgress(job.id, f, m) }));
        } catch (err) {
          if (err instanceof PermanentJobError) await this.db.dataSource.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_limit = retry_count WHERE id = $1`, [job.id]);
          // pg-boss's fail (after this throw) computes start_after = now() + retry_delay without backoff.
          else if (t.retryDelaySeconds) await this.db.dataSource.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_backoff = false, retry_delay = $2, retry_limit = $3 WHERE id = $1`, [job.id, t.retryDelaySeconds(job.retryCount), retryLimit]);
          this.log.warn({ jobId: job.id, type, attempt: job.retryCount, reason: (err as Error).message }, 'job failed');
          throw err;
        }
      });
      self = id;
      ids.push(id);
    }
    this.workers.set(type, [...(this.workers.get(type) ?? []), ...ids]);
  }

  /** Enqueues a job; returns its id, or null when a job with that id already exists. */
  async send<T extends object>(type: string, data: T, opts: SendOptions = {}): Promise<string | null> {
    const boss = await this.start();
    // pg-boss validates every key present, also undefined ones: pass only what is set.
    const options = Object.fromEntries(Object.entries({ id: opts.id, priority: opts.priority, retryLimit: opts.retryLimit }).filter(([, v]) => v !== undefined));
    const id = await boss.send(type, data, options);
    // Wake this process's idle workers of that type now instead of at their next poll.
    for (const w of this.workers.get(type) ?? []) boss.notifyWorker(w);
    return id;
  }

  /**
   * After a crash of the only process using an embedded database, its active jobs have no worker:
   * fail them now (they are retried with backoff) instead of waiting for their expiry. On a shared
   * PostgreSQL other workers may be running them, so there expiry (expireInSeconds) does this.
   */
  async recoverOrphans(): Promise<number> {
    const boss = await this.start();
    const rows = (await this.db.dataSource.query(`SELECT id, name FROM ${BOSS_SCHEMA}.job WHERE state = 'active'`)) as { id: string; name: string }[];
    for (const r of rows) await boss.fail(r.name, r.id, { message: 'the process running this job stopped before it finished; retried' });
    return rows.length;
  }

  async setProgress(jobId: string, fraction: number, message?: string): Promise<void> {
    await this.db.dataSource.query(
      `INSERT INTO job_progress (job_id, progress, message, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (job_id) DO UPDATE SET progress = EXCLUDED.progress, message = EXCLUDED.message, updated_at = now()`,
      [jobId, Math.max(0, Math.min(1, fraction)), message ?? null],
    );
  }

  async retry(type: string, id: string): Promise<void> {
    await (await this.start()).retry(type, id);
  }

  /**
   * Dead-letter jobs of `type` back to the queue with a fresh retry budget (attempts from 0, the
   * type's limit, start now), e.g. after a destination's outage. Only `failed` jobs move, in one
   * statement: a job retried concurrently, or already running again, is not touched. Returns the
   * ids moved. started_on NULL makes pg-boss's next fetch count that attempt as the first.
   */
  async requeueFailed(type: string, ids: string[]): Promise<string[]> {
    await this.start();
    if (ids.length === 0) return [];
    const rows = (await this.adapter.executeSql(
      `UPDATE ${BOSS_SCHEMA}.job SET state = 'retry', retry_count = 0, retry_limit = $3, started_on = NULL, start_after = now(), completed_on = NULL,
         keep_until = GREATEST(keep_until, now() + interval '14 days')
       WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'failed' RETURNING id`,
      [type, ids, this.retryLimitOf(type)],
    )).rows as { id: string }[];
    for (const w of this.workers.get(type) ?? []) this.boss?.notifyWorker(w);
    return rows.map((r) => r.id);
  }

  async cancel(type: string, id: string): Promise<void> {
    await (await this.start()).cancel(type, id);
  }

  async stop(): Promise<void> {
    this.leases.stopReaper();
    if (!this.starting) return;
    const boss = await this.starting.catch(() => undefined);
    this.starting = undefined;
    this.boss = undefined;
    this.workers.clear();
    await boss?.stop({ graceful: true, wait: true, timeout: 20_000, close: false });
    // pg-boss completes a finished job without awaiting it: let that statement end before the
    // caller closes the database.
    await this.adapter.drain();
  }
}
