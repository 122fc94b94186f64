import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import { bossDb, type BossDb } from './boss-db.js';

export interface QueueOptions {
  retryLimit: number;
  retryDelaySeconds: number;
  pollingIntervalSeconds: number;
  expireInSeconds: number;
}

/** What a handler gets: the job, and a way to report progress (0..1) shown in /api/v1/jobs. */
export interface RunningJob<T> {
  id: string;
  type: string;
  data: T;
  /** Retries so far (0 on the first attempt). */
  attempt: number;
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
  private readonly types = new Map<string, { retryLimit?: number }>();
  private readonly workers = new Map<string, string[]>();
  private readonly adapter: BossDb;

  constructor(private readonly db: Database, private readonly log: Logger, readonly opts: QueueOptions) {
    this.adapter = bossDb(db);
  }

  /** Declares a job type (a pg-boss queue); call before start(). */
  defineType(type: string, opts: { retryLimit?: number } = {}): void {
    this.types.set(type, opts);
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
        const queue = { name: type, retryLimit: t.retryLimit ?? this.opts.retryLimit, retryDelay: this.opts.retryDelaySeconds, retryBackoff: true, expireInSeconds: this.opts.expireInSeconds };
        const existing = await boss.getQueue(type);
        if (existing) await boss.updateQueue(type, queue);
        else await boss.createQueue(type, queue);
      }
      this.boss = boss;
      return boss;
    })();
    return this.starting;
  }

  /** Starts `concurrency` workers for `type` in this process. */
  async work<T>(type: string, concurrency: number, handler: JobHandler<T>): Promise<void> {
    const boss = await this.start();
    const ids: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      let self: string | undefined;
      const id = await boss.work<T>(type, { batchSize: 1, pollingIntervalSeconds: this.opts.pollingIntervalSeconds, includeMetadata: true }, async ([job]) => {
        if (!job) return;
        // A worker that found a job fetches again at once (there may be more) instead of
        // sleeping its polling interval: pg-boss 10 skips the sleep when notified.
        if (self) boss.notifyWorker(self);
        try {
          return await handler({ id: job.id, type, data: job.data, attempt: job.retryCount, progress: (f, m) => this.setProgress(job.id, f, m) });
        } catch (err) {
          if (err instanceof PermanentJobError) await this.db.dataSource.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_limit = retry_count WHERE id = $1`, [job.id]);
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

  async cancel(type: string, id: string): Promise<void> {
    await (await this.start()).cancel(type, id);
  }

  async stop(): Promise<void> {
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
