import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { Archive } from '../archive/archive.js';
import type { StoreResult } from '../archive/ingest.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/data-source.js';
import { DELIVERY_JOB, deliveryHandler, releaseReviewed, type DeliveryJobData } from '../export/deliveries.js';
import { DestinationStore } from '../export/destination-store.js';
import { retryDelaySeconds, retryLimitFor } from '../export/retry-schedule.js';
import { InferenceJobs, type InferenceDeps } from '../inference/inference-job.js';
import type { ModelRegistry } from '../inference/model-registry.js';
import { JobQueue } from '../jobs/queue.js';
import { VERSION } from '../version.js';
import { INFERENCE_JOB, type InferenceJobData } from './route-series.js';
import { RuleStore } from './rule-store.js';
import { StabilityScheduler } from './stability.js';

export interface RoutingDeps {
  config: Config;
  db: Database;
  archive: Archive;
  models: ModelRegistry;
  log: Logger;
  /** After each AI SEG is stored (learning's shadow comparison; src/learning/shadow.ts). */
  afterSegment?: InferenceDeps['afterSegment'];
}

/**
 * Automatic routing, assembled: rules, destinations, the job queue, the stability scheduler and
 * the job handlers. Nothing runs until `startWorkers` / `startScheduler` (`serve` calls both,
 * `worker` only the first), so commands like `model add` open the node without side effects.
 */
export class Routing {
  readonly queue: JobQueue;
  readonly rules: RuleStore;
  readonly destinations: DestinationStore;
  readonly scheduler: StabilityScheduler;
  private readonly inference: InferenceJobs;

  constructor(private readonly deps: RoutingDeps) {
    const { config, db, archive, log } = deps;
    this.queue = new JobQueue(db, log.child({ component: 'jobs' }), config.jobs);
    this.queue.defineType(INFERENCE_JOB);
    // Deliveries ride out long outages: capped doubling for days (delivery.retry), not jobs.retry*.
    const retry = config.delivery.retry;
    this.queue.defineType(DELIVERY_JOB, { retryLimit: retryLimitFor(retry), retryDelaySeconds: (n) => retryDelaySeconds(n, retry) });
    this.rules = new RuleStore(db);
    this.destinations = new DestinationStore(db);
    this.scheduler = new StabilityScheduler(archive, { db, rules: this.rules, queue: this.queue, log: log.child({ component: 'routing' }) }, config.routing);
    this.scheduler.onTick.push(() => releaseReviewed(db, this.queue, log));
    this.inference = new InferenceJobs({ db, archive, models: deps.models, queue: this.queue, log: log.child({ component: 'inference' }), softwareVersion: VERSION, threads: 2, idleReleaseMs: config.inference.idleReleaseSeconds * 1000, afterSegment: deps.afterSegment });
  }

  /** Imports `routing.rulesFile`: destinations are upserted, rules become a new version when the file changed. */
  async importConfigFile(): Promise<void> {
    const file = this.deps.config.routing.rulesFile;
    if (!file) return;
    const text = readFileSync(file, 'utf8');
    const doc = (parseYaml(text) ?? {}) as { rules?: unknown; destinations?: unknown[] };
    for (const d of doc.destinations ?? []) await this.destinations.put(d, `yaml:${file}`, 'yaml');
    const sha = createHash('sha256').update(text).digest('hex');
    const v = await this.rules.importIfChanged(doc.rules ?? [], sha, `yaml:${file}`);
    if (v) this.deps.log.info({ version: v.version, rules: v.rules.length }, 'imported routing rules from the config file');
  }

  /** Job workers of this process (serve and worker). */
  async startWorkers(): Promise<void> {
    const { config, db, archive, log } = this.deps;
    await this.queue.start({ supervise: true });
    // An embedded database has exactly one process: its active jobs died with the last one.
    if (db.kind === 'pglite') {
      const n = await this.queue.recoverOrphans();
      if (n) log.warn({ jobs: n }, 'jobs interrupted by a stop of the node are retried');
    }
    await this.queue.work<InferenceJobData>(INFERENCE_JOB, config.jobs.concurrency.inference, this.inference.handle);
    await this.queue.work<DeliveryJobData>(DELIVERY_JOB, config.jobs.concurrency.delivery, deliveryHandler({ db, archive, destinations: this.destinations, log, callingAeTitle: config.dimse.aeTitle }));
  }

  startScheduler(): void {
    this.scheduler.start();
  }

  /** Called after every STOW-RS request: remember the sender, and look for stable series soon. */
  onStored(results: StoreResult[], sender: string): void {
    const series = [...new Set(results.flatMap((r) => (r.status === 'stored' && !r.alreadyStored ? [r.record.seriesInstanceUid] : [])))];
    if (series.length === 0) return;
    this.scheduler.noteSender(series, sender).catch((err) => this.deps.log.error({ err }, 'could not record the sender of a series'));
    this.scheduler.nudge();
  }

  async close(): Promise<void> {
    await this.scheduler.stop();
    await this.queue.stop();
    await this.inference.close();
  }
}
