import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { ModelPackage } from '../inference/model-package.js';
import { ModelRegistryError, type GenerationInfo, type ModelRegistry } from '../inference/model-registry.js';
import type { JobQueue } from '../jobs/queue.js';
import { evaluateDice } from './evaluate.js';
import { runGate, type GateDecision, type GateSets } from './gate.js';
import { fineTuneInThread } from './fine-tune-thread.js';
import { claimLearningJob, type LearningJobHandle } from './learning-job.js';
import { LearningBusyError, LearningLock } from './learning-lock.js';
import { everActive, pendingCandidates, type Policy } from './model-state.js';
import { recipe, type Recipe, type RecipeInput } from './recipe.js';
import { RunStore, type LearningRunView, type RunTrigger } from './run-store.js';
import { LearningSchedule } from './schedule.js';
import { learningMetrics, rootPackage } from './learning-metrics.js';
import { referenceSets } from './reference-data.js';
import { concatNonEmpty } from './slice-set.js';
import { rehearsalData, trainingData, type TrainingData } from './training-data.js';

export type LearningConfig = Config['learning'];

export interface LearningDeps {
  config: LearningConfig;
  archive: Archive;
  models: ModelRegistry;
  queue: JobQueue;
  audit: AuditLog;
  log: Logger;
}

export interface RunProgress {
  runId: string;
  modelId: string;
  /** 0..1 of this model's run. */
  fraction: number;
  message: string;
}

export interface StartRequest {
  modelId?: string;
  trigger: RunTrigger;
  actor: string;
  onProgress?: (p: RunProgress) => void;
}

/** After the gate accepted a candidate and it is registered (federation uploads its delta). */
export type AcceptedListener = (e: { modelId: string; generation: GenerationInfo; onnx: Buffer; parentSha256: string; trainingSlices: number; trainingSeries: number; gate: GateDecision }) => Promise<void>;

/**
 * The learning runs of a node (issue 6 items 2, 5, 6 — the wiring): reviewed series → training
 * data → fine-tune → gate → register under the model's promotion policy, one run at a time per
 * database, each recorded in `learning_run` and shown as a `learning` job.
 */
export class LearningService {
  readonly runs: RunStore;
  readonly onAccepted: AcceptedListener[] = [];
  private readonly lock: LearningLock;
  private schedule: LearningSchedule | undefined;

  constructor(private readonly d: LearningDeps) {
    this.runs = new RunStore(d.archive.db);
    this.lock = new LearningLock(d.archive.db);
    void this.recipe; // fail at start, not at night, on a bad learning.recipe
  }

  /** The fine-tuning recipe: Dafne's defaults with the `learning.recipe` overrides. */
  get recipe(): Recipe {
    try {
      return recipe(this.d.config.recipe as RecipeInput);
    } catch (err) {
      const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
      throw new Error(`learning.recipe: ${issues ? issues.map((i) => `${i.path.map(String).join('.') || 'recipe'}: ${i.message}`).join('; ') : (err as Error).message}`);
    }
  }

  get db() {
    return this.d.archive.db;
  }

  policy(modelId: string): Policy {
    return this.d.config.models[modelId] ?? this.d.config.policy;
  }

  /**
   * Runs left `running` by a process that stopped (a crash, a kill during training) are marked
   * failed — but only when nobody holds the learning lock, i.e. no process is running one now.
   */
  async recoverOrphans(): Promise<number> {
    let release: (() => Promise<void>) | undefined;
    try {
      release = await this.lock.acquire();
      return await this.runs.failOrphans();
    } catch (err) {
      if (err instanceof LearningBusyError) return 0;
      throw err;
    } finally {
      await release?.();
    }
  }

  /** The nightly schedule (started by `serve`). The skip decision is made per model inside the run. */
  startSchedule(): void {
    void this.recoverOrphans().then(
      (n) => n && this.d.log.warn({ runs: n }, 'learning runs interrupted by a stop of the node marked failed'),
      (err: Error) => this.d.log.warn({ err: err.message }, 'could not check for interrupted learning runs'),
    );
    if (this.schedule || !this.d.config.enabled) return;
    this.schedule = new LearningSchedule(
      { time: this.d.config.time, timezone: this.d.config.timezone, minSlices: 0 },
      {
        countNewSlices: async () => 0,
        run: () => this.nightly(),
        log: this.d.log,
      },
    );
    this.schedule.start();
  }

  /**
   * What the cron tick runs: every registered model, trigger `schedule`. A run already going (an
   * API or CLI run) means this night's tick is skipped with a warning: it would find the same data.
   */
  async nightly(): Promise<LearningRunView[] | undefined> {
    const started = await this.start({ trigger: 'schedule', actor: 'schedule' }).catch((err: Error) => {
      if (err instanceof LearningBusyError) this.d.log.warn({ reason: err.message }, 'nightly learning run not started');
      else throw err;
    });
    return started ? started.done : undefined;
  }

  async stop(): Promise<void> {
    await this.schedule?.stop();
    this.schedule = undefined;
  }

  /**
   * Starts a run for `modelId` (default every registered model, one after the other): takes the
   * learning lock (LearningBusyError when another run holds it), records the first run, and
   * returns its id at once; `done` settles with every model's run when all are finished.
   */
  async start(req: StartRequest): Promise<{ runId: string; done: Promise<LearningRunView[]> }> {
    const modelIds = req.modelId ? [req.modelId] : (await this.d.models.list()).map((m) => m.id);
    if (req.modelId) await this.d.models.active(req.modelId); // not-found → ModelRegistryError
    if (modelIds.length === 0) throw new ModelRegistryError('no models registered (dafne-node model add DIR)', 'not-found');
    const release = await this.lock.acquire();
    let first: LearningRunView;
    let job: LearningJobHandle | undefined;
    try {
      const orphans = await this.runs.failOrphans();
      if (orphans) this.d.log.warn({ runs: orphans }, 'learning runs of a stopped process marked failed');
      first = await this.runs.start(modelIds[0]!, req.trigger, req.actor).catch((err: Error & { code?: string }) => {
        throw err.code === '23505' ? new LearningBusyError('another learning run is running on this database') : err;
      });
      job = await claimLearningJob(this.d.queue, { modelIds, trigger: req.trigger, actor: req.actor }).catch((err: Error) => {
        // The run does not depend on the queue; it only would not show in /api/v1/jobs.
        this.d.log.warn({ err: err.message }, 'learning run not registered as a job');
        return undefined;
      });
    } catch (err) {
      await release();
      throw err;
    }
    const done = (async () => {
      const out: LearningRunView[] = [];
      try {
        for (const [i, modelId] of modelIds.entries()) {
          const run = i === 0 ? first : await this.runs.start(modelId, req.trigger, req.actor);
          // Progress rows are written in order and at most every 2 s (a training step is short);
          // the run's final update waits for the last of them.
          let chain: Promise<unknown> = Promise.resolve();
          let last = 0;
          const progress = (fraction: number, message: string): void => {
            req.onProgress?.({ runId: run.id, modelId, fraction, message });
            const now = Date.now();
            if (now - last < 2000 && fraction > 0 && fraction < 1) return;
            last = now;
            chain = chain.then(async () => {
              await job?.progress((i + fraction) / modelIds.length, `${modelId}: ${message}`);
              if (fraction < 1) await this.runs.update(run.id, { progress: fraction, progressMessage: message });
            }).catch(() => undefined);
          };
          if (job) await this.runs.update(run.id, { jobId: job.id });
          out.push(await this.execute(run, progress, () => chain));
        }
        const failed = out.find((r) => r.status === 'failed');
        if (failed) await job?.fail(`${failed.modelId}: ${failed.reason ?? 'failed'}`).catch(() => undefined);
        else await job?.complete({ runs: out.map((r) => ({ id: r.id, modelId: r.modelId, status: r.status, reason: r.reason, candidateGeneration: r.candidateGeneration })) }).catch(() => undefined);
        return out;
      } catch (err) {
        await job?.fail((err as Error).message).catch(() => undefined);
        throw err;
      } finally {
        await release();
      }
    })();
    done.catch((err: Error) => this.d.log.error({ err }, 'learning run failed'));
    return { runId: first.id, done };
  }

  /** One model's run; never throws (a failure is the run's outcome). */
  private async execute(run: LearningRunView, progress: (fraction: number, message: string) => void, pending: () => Promise<unknown>): Promise<LearningRunView> {
    const finish = async (u: Parameters<RunStore['update']>[1]): Promise<LearningRunView> => {
      progress(1, u.status ?? 'finished');
      await pending();
      return this.finish(run.id, u);
    };
    const { config: cfg, models, archive } = this.d;
    const modelId = run.modelId;
    try {
      const active = await models.active(modelId);
      const gens = await models.generations(modelId);
      const base = await this.basePackage(modelId, active, gens);
      await this.runs.update(run.id, { baseGeneration: base.card.generation });
      progress(0, 'reading new reviewed series');
      const split = { heldOutFraction: cfg.heldOutFraction, benchmarkSeries: cfg.benchmarkSeries, maxAttempts: cfg.maxAttempts };
      const fresh = await trainingData(archive, modelId, base.card, split, (k, n) => progress((0.1 * k) / n, `reading new reviewed series ${k}/${n}`), ['train']);
      if (fresh.train.count < cfg.minSlices) {
        const n = fresh.train.count;
        return await finish({ status: 'skipped', slices: n, reason: `${n} new corrected slice${n === 1 ? '' : 's'}, fewer than ${cfg.minSlices}: too few to learn from (learning.minSlices)${fresh.missing ? ` (${fresh.missing} reviewed series unreadable or gone)` : ''}` });
      }
      const validation = await trainingData(archive, modelId, base.card, split, (k, n) => progress(0.1 + (0.1 * k) / n, `reading held-out series ${k}/${n}`), ['held-out', 'benchmark']);
      const data: TrainingData = { ...validation, train: fresh.train, items: [...fresh.items, ...validation.items], missing: fresh.missing + validation.missing };
      const trainSeries = data.items.filter((i) => i.role === 'train' && i.slices.count > 0);
      await this.runs.update(run.id, { slices: data.train.count });
      progress(0.2, `fine-tuning on ${data.train.count} slices of ${trainSeries.length} series`);
      const r = this.recipe;
      // The model's own reference data (card `reference`): rehearsed with the corrections and, apart
      // from that, checked by the gate, so the original skill is judged on original data.
      const reference = referenceSets(base.card, { rehearsal: r.rehearsal > 0, check: true });
      // Rehearsal (recipe.rehearsal > 0): reference data and earlier trained series mixed in, against forgetting.
      const rehearsal = r.rehearsal > 0 ? concatNonEmpty([reference?.rehearsal, await rehearsalData(archive, modelId, base.card, split, Math.ceil(r.rehearsal * data.train.count), Number(run.id))]) : undefined;
      const candidate = await fineTuneInThread(base, data.train, r, (p) => progress(0.2 + (0.65 * p.step) / Math.max(1, p.steps), `fine-tuning: epoch ${p.epoch + 1}, step ${p.step}/${p.steps}, loss ${p.loss.toFixed(4)}`), rehearsal);
      candidate.card = { ...candidate.card, generation: Math.max(...gens.map((g) => g.generation)) + 1, training: { ...candidate.card.training, series: trainSeries.length } };
      progress(0.85, 'validation gate');
      const sets: GateSets = { corrections: data.train, heldOut: data.heldOut, benchmark: data.benchmark, ...(reference?.check ? { reference: reference.check } : {}) };
      const labels = active.card.labels.length;
      // The original skill is held to the model as installed (the root), not to each night's active
      // generation: ε bounds the forgetting of all local runs together.
      const root = await rootPackage(models, modelId, base);
      const rootReference = sets.reference ? (await evaluateDice(root.onnx, sets.reference, labels)).mean : undefined;
      const gate = await runGate(active.onnx, candidate.onnx, sets, labels, { epsilon: cfg.epsilon, minImprovement: cfg.minImprovement, referenceFloor: rootReference });
      const gateJson = { accepted: gate.accepted, reasons: gate.reasons, active: gate.active, candidate: gate.candidate, epsilon: gate.epsilon };
      await this.recordSamples(run.id, modelId, data, gate.accepted);
      const metrics = await learningMetrics({ db: archive.db, modelId, base, root, rootReference, active, candidate: candidate.onnx, sets, gate, labels }).catch((err: Error) => {
        this.d.log.warn({ err: err.message }, 'learning: transfer metrics not computed');
        return null;
      });
      await this.runs.update(run.id, { metrics });
      if (!gate.accepted) {
        const kept = `; its ${trainSeries.length} corrected series ${trainSeries.length === 1 ? 'is' : 'are'} trained again with the next ones (learning.maxAttempts ${cfg.maxAttempts})`;
        return await finish({ status: 'rejected', slices: data.train.count, gate: gateJson, reason: `gate rejected the candidate: ${gate.reasons.filter((r) => /loses|must improve|none/.test(r)).join('; ')}${kept}` });
      }
      progress(0.95, 'registering the candidate');
      candidate.card.validation = Object.fromEntries(Object.entries(gate.candidate).map(([k, v]) => [`dice.${k}`, Number(v.toFixed(4))]));
      const policy = this.policy(modelId);
      const registered = await models.add({ onnx: candidate.onnx, card: candidate.card }, `learning:run-${run.id}`, { activate: policy === 'auto' });
      const perLabel = await this.perLabel(candidate.onnx, sets, active.card.labels.map((l) => l.name));
      await this.storeScores(modelId, registered.generation, run.id, gate.candidate, perLabel, { accepted: true, reasons: gate.reasons });
      await this.storeScores(modelId, active.card.generation, run.id, gate.active, null, null, true);
      if (policy === 'auto') await this.d.audit.record({ actor: `learning:run-${run.id}`, action: 'model.activate', target: `model:${modelId}`, detail: { generation: registered.generation, policy } });
      for (const l of this.onAccepted) {
        await l({ modelId, generation: registered, onnx: candidate.onnx, parentSha256: base.sha256, trainingSlices: data.train.count, trainingSeries: trainSeries.length, gate }).catch((err: Error) => this.d.log.warn({ err: err.message }, 'learning: an accepted-candidate listener failed'));
      }
      const what = policy === 'auto' ? 'is active' : policy === 'shadow' ? `runs in shadow beside generation ${active.card.generation}` : 'awaits promotion (dafne-node model promote)';
      return await finish({ status: 'done', slices: data.train.count, gate: gateJson, candidateGeneration: registered.generation, reason: `gate accepted; generation ${registered.generation} ${what}` });
    } catch (err) {
      this.d.log.error({ err, runId: run.id }, 'learning run failed');
      return finish({ status: 'failed', reason: (err as Error).message });
    }
  }

  /**
   * What to fine-tune: the active generation, or, when the gate already accepted a candidate that
   * is waiting (manual / shadow), the newest such candidate — so corrections it learned from are not
   * lost when a later run starts again from the active model.
   */
  private async basePackage(modelId: string, active: ModelPackage, gens: GenerationInfo[]): Promise<ModelPackage> {
    if (this.policy(modelId) === 'auto') return active;
    const pending = pendingCandidates(gens, await everActive(this.d.archive.db, modelId));
    const newest = pending[pending.length - 1];
    return newest ? this.d.models.package(modelId, newest.generation) : active;
  }

  /** The series a run used; its training series as 'tried' when the gate rejected it (trained again next time). */
  private async recordSamples(runId: string, modelId: string, data: TrainingData, accepted: boolean): Promise<void> {
    const db = this.d.archive.db;
    await db.transaction(async (m) => {
      for (const it of data.items.filter((i) => i.role !== 'trained')) {
        const role = it.role === 'train' && !accepted ? 'tried' : it.role;
        await m.query('INSERT INTO learning_sample (run_id, model_id, result_id, series_instance_uid, role, slices) VALUES ($1, $2, $3, $4, $5, $6)', [runId, modelId, it.resultId, it.seriesInstanceUid, role, it.slices.count]);
      }
    });
  }

  private async perLabel(onnx: Uint8Array, sets: GateSets, names: string[]): Promise<Record<string, number> | null> {
    const set = [sets.heldOut, sets.benchmark, sets.corrections].find((s) => s && s.count > 0);
    if (!set) return null;
    const d = await evaluateDice(onnx, set, names.length);
    return Object.fromEntries(d.perLabel.flatMap((v, i) => (Number.isNaN(v) ? [] : [[names[i]!, Number(v.toFixed(4))]])));
  }

  private async storeScores(modelId: string, generation: number, runId: string, s: GateDecision['candidate'], perLabel: Record<string, number> | null, gate: unknown, onlyIfAbsent = false): Promise<void> {
    await this.d.archive.db.dataSource.query(
      `INSERT INTO generation_score (model_id, generation, run_id, held_out, benchmark, corrections, per_label, gate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (model_id, generation) DO ${onlyIfAbsent ? 'NOTHING' : 'UPDATE SET run_id = EXCLUDED.run_id, held_out = EXCLUDED.held_out, benchmark = EXCLUDED.benchmark, corrections = EXCLUDED.corrections, per_label = EXCLUDED.per_label, gate = EXCLUDED.gate, at = now()'}`,
      [modelId, generation, runId, s.heldOut ?? null, s.benchmark ?? null, s.corrections ?? null, perLabel ? JSON.stringify(perLabel) : null, gate ? JSON.stringify(gate) : null],
    );
  }

  private async finish(runId: string, u: Parameters<RunStore['update']>[1]): Promise<LearningRunView> {
    await this.runs.update(runId, { ...u, progress: 1, progressMessage: u.status ?? null, finished: true });
    this.d.log.info({ runId, status: u.status, reason: u.reason }, `learning run ${u.status}`);
    return (await this.runs.get(runId))!;
  }

  /** The held-out and benchmark sets of a model (the federation client gates central generations on them). */
  async localSets(modelId: string): Promise<{ heldOut?: TrainingData['heldOut']; benchmark?: TrainingData['benchmark'] }> {
    const active = await this.d.models.active(modelId);
    const data = await trainingData(this.d.archive, modelId, active.card, { heldOutFraction: this.d.config.heldOutFraction, benchmarkSeries: this.d.config.benchmarkSeries }, undefined, ['held-out', 'benchmark']);
    return { heldOut: data.heldOut, benchmark: data.benchmark };
  }
}
