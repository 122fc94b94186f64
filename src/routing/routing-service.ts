import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { StoreResult } from '../archive/ingest.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/data-source.js';
import { DELIVERY_JOB, deliveryHandler, releaseReviewed, type DeliveryJobData } from '../export/deliveries.js';
import { DestinationStore } from '../export/destination-store.js';
import { retryDelaySeconds, retryLimitFor } from '../export/retry-schedule.js';
import { InferenceJobs, type InferenceDeps } from '../inference/inference-job.js';
import { CorrectedDerived } from '../results/corrected-derived.js';
import type { ModelRegistry } from '../inference/model-registry.js';
import { JobQueue } from '../jobs/queue.js';
import { VERSION } from '../version.js';
import { INFERENCE_JOB, type InferenceJobData } from './route-series.js';
import { loadReferences, type RuleIssue } from './rule-references.js';
import { RuleStore } from './rule-store.js';
import { readRulesFile, RulesFileError } from './rules-file.js';
import { StabilityScheduler } from './stability.js';
import { StudyWaits } from './study-waits.js';

export interface RoutingDeps {
  config: Config;
  db: Database;
  archive: Archive;
  models: ModelRegistry;
  log: Logger;
  /** After each AI SEG is stored (learning's shadow comparison; src/learning/shadow.ts). */
  afterSegment?: InferenceDeps['afterSegment'];
  /** Node-wide audit trail: a refused reload of the rules file is recorded there. */
  audit?: AuditLog;
}

/** The last import of `routing.rulesFile` (/readyz shows it). */
export interface RulesFileStatus {
  file: string;
  ok: boolean;
  /** The rule-set version in force after it. */
  version: number;
  error?: string;
  /** The problems, each naming the rule and field (when refused). */
  issues?: RuleIssue[];
  at: string;
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
  /** Measurement reports of corrected SEGs (issue 18 item 3). */
  readonly correctedDerived: CorrectedDerived;
  private readonly inference: InferenceJobs;
  /** Undefined until the rules file was imported (or when there is none). */
  fileStatus: RulesFileStatus | undefined;

  constructor(private readonly deps: RoutingDeps) {
    const { config, db, archive, log } = deps;
    this.queue = new JobQueue(db, log.child({ component: 'jobs' }), config.jobs);
    this.queue.defineType(INFERENCE_JOB);
    // Deliveries ride out long outages: capped doubling for days (delivery.retry), not jobs.retry*.
    const retry = config.delivery.retry;
    this.queue.defineType(DELIVERY_JOB, { retryLimit: retryLimitFor(retry), retryDelaySeconds: (n) => retryDelaySeconds(n, retry) });
    this.destinations = new DestinationStore(db);
    // Every change of the rules is checked against the models and destinations of this moment.
    this.rules = new RuleStore(db, () => loadReferences({ models: deps.models, destinations: this.destinations }));
    const routingLog = log.child({ component: 'routing' });
    const studies = new StudyWaits({ db, queue: this.queue, log: routingLog, models: deps.models });
    this.scheduler = new StabilityScheduler(archive, { db, rules: this.rules, queue: this.queue, log: routingLog, models: deps.models, studies }, config.routing);
    // A corrected SEG's measurement report first (its SR replaces the AI SR in the release below).
    this.correctedDerived = new CorrectedDerived(archive, VERSION, log.child({ component: 'results' }));
    this.scheduler.onTick.push(() => this.correctedDerived.ensure());
    this.scheduler.onTick.push(() => releaseReviewed(db, this.queue, log));
    this.inference = new InferenceJobs({ db, archive, models: deps.models, queue: this.queue, log: log.child({ component: 'inference' }), softwareVersion: VERSION, threads: 2, idleReleaseMs: config.inference.idleReleaseSeconds * 1000, afterSegment: deps.afterSegment });
  }

  /**
   * Imports `routing.rulesFile`: destinations are upserted, rules become a new version when the
   * file changed. The whole file is checked first (rules-file.ts), at every call even when it is
   * unchanged, and nothing of it is applied when it fails: throws RulesFileError (`serve` exits 78).
   */
  async importConfigFile(): Promise<void> {
    const file = this.deps.config.routing.rulesFile;
    if (!file) return;
    const content = await readRulesFile(file, await this.rules.referencesNow());
    for (const d of content.destinations) await this.destinations.put(d, `yaml:${file}`, 'yaml');
    const v = await this.rules.importIfChanged(content.rules, content.sha256, `yaml:${file}`);
    if (v) this.deps.log.info({ version: v.version, rules: v.rules.length }, 'imported routing rules from the config file');
    this.fileStatus = { file, ok: true, version: v?.version ?? (await this.rules.current()).version, at: new Date().toISOString() };
  }

  /**
   * Reload of a running node (SIGHUP, POST /api/v1/rules/reload): like the import at start, except
   * that a refused file leaves the rules and destinations in force untouched; the error is logged,
   * kept for /readyz and recorded in the audit trail. Returns the status.
   */
  reloadConfigFile(actor = 'signal:SIGHUP'): Promise<RulesFileStatus | undefined> {
    // One at a time: two quick SIGHUPs must not import the same file twice.
    const run = this.reloads.then(() => this.reloadOnce(actor));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private reloads: Promise<unknown> = Promise.resolve();

  private async reloadOnce(actor: string): Promise<RulesFileStatus | undefined> {
    const file = this.deps.config.routing.rulesFile;
    if (!file) return undefined;
    const { log, audit } = this.deps;
    try {
      await this.importConfigFile();
      await audit?.record({ actor, action: 'rules.file.reload', target: `file:${file}`, detail: { ok: true, version: this.fileStatus!.version } });
      log.info({ file, version: this.fileStatus!.version }, 'routing rules file reloaded');
    } catch (err) {
      if (!(err instanceof RulesFileError)) throw err;
      const version = (await this.rules.current()).version;
      this.fileStatus = { file, ok: false, version, error: err.message, issues: err.issues, at: new Date().toISOString() };
      await audit?.record({ actor, action: 'rules.file.refused', target: `file:${file}`, detail: { ok: false, version, error: err.message, issues: err.issues } });
      log.error({ file, issues: err.issues, version }, `${err.message}; the rule set in force (version ${version}) stays`);
    }
    return this.fileStatus;
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
    await this.queue.work<DeliveryJobData>(DELIVERY_JOB, config.jobs.concurrency.delivery, deliveryHandler({ db, archive, destinations: this.destinations, log, queue: this.queue, callingAeTitle: config.dimse.aeTitle }));
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
