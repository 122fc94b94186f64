import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import { IngestSession, type StoredInstance } from '../archive/ingest.js';
import type { Database } from '../db/data-source.js';
import type { PlanePlan } from '../dicom/plane.js';
import { DELIVERY_JOB, enqueueDeliveries } from '../export/deliveries.js';
import { deliveryItems, destinationProfiles, wantsOverlay } from '../export/profile-items.js';
import type { OutputProfile } from '../export/output-profiles.js';
import { deriveAndStore, deriveFromArchive, recordedDerived, type StoredDerived } from '../results/derived-store.js';
import { cancelSupersededJobs } from '../export/supersede.js';
import { PermanentJobError, type JobQueue, type RunningJob } from '../jobs/queue.js';
import type { InferenceJobData } from '../routing/route-series.js';
import { loadSeriesSnapshot } from '../routing/series-snapshot.js';
import type { ModelRegistry } from './model-registry.js';
import { RunnerCache } from './runner-cache.js';
import { findResultRow, insertResultRow, type ResultRow } from './result-row.js';
import { segVariant, variantKey } from './seg-variants.js';
import { SkippedSeriesError, type PlaneTimings } from './segment-plane.js';
import { segmentSeries, sourceAttributes, type SegmentSeriesResult } from './segment-series.js';

export interface InferenceDeps {
  db: Database;
  archive: Archive;
  models: ModelRegistry;
  queue: JobQueue;
  log: Logger;
  softwareVersion: string;
  threads: number;
  /** Sessions (and the back-projection thread) are released after this long without a series (runner-cache.ts). */
  idleReleaseMs?: number;
  /** Called after the SEG of the active model is stored (the learning shadow policy compares a candidate). */
  afterSegment?: (e: { modelId: string; generation: number; aiResultId: string; files: Buffer[]; labels: SegmentSeriesResult['labels']; segments: SegmentSeriesResult['segments'] }) => Promise<void>;
}

/** Stores one Part 10 object in the archive (blob, then index) and returns its UIDs. */
export async function storeObject(archive: Archive, bytes: Buffer): Promise<StoredInstance> {
  const session = new IngestSession(archive, { maxInstanceBytes: Math.max(bytes.length, 1), concurrency: 1 });
  await session.add((async function* () {
    yield bytes;
  })());
  const [r] = await session.finish();
  if (!r || r.status !== 'stored') throw new Error(`the SEG could not be stored in the archive: ${r && r.status === 'failed' ? r.message : 'no result'}`);
  return r.record;
}

/** What a skipped run reports as the job's result (the jobs API shows `reason`). */
export interface SkippedJobResult {
  skipped: true;
  /** e.g. "skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model". */
  reason: string;
  /** The acquisition plane of the source series. */
  plane: string;
  aiResultId: string;
  deliveries: 0;
  timings: unknown;
}

/** 1 + the SEGs already made for this series, model and rule: the re-run's "rev N" (segment-series.ts). */
async function revisionOf(db: Database, d: InferenceJobData): Promise<number> {
  const [r] = (await db.dataSource.query(
    "SELECT count(*)::int AS n FROM ai_result WHERE source_series_instance_uid = $1 AND model_id = $2 AND rule_id = $3 AND outcome = 'segmented'",
    [d.seriesInstanceUid, d.model, d.ruleId],
  )) as { n: number }[];
  return 1 + Number(r?.n ?? 0);
}

/** The plane part of a result's timings (`timings.plane`), for segmented and skipped runs alike. */
const planeTimings = (plan: PlanePlan, t?: PlaneTimings) => ({
  action: plan.action,
  source: plan.source.plane,
  target: plan.target,
  reason: plan.reason,
  ...(t ? { reformatMs: t.reformat, reformatBackMs: t.reformatBack } : {}),
});

/**
 * The inference job: series → model → SEG(s) → archive → `ai_result` → deliveries. Idempotent: a
 * retry after a crash finds the `ai_result` of the same (series content, model, rule) and only
 * makes sure its deliveries exist, so the SEG is made and delivered once. A newer result for the
 * same series and rule supersedes the older one (late-instance policy, docs/routing.md).
 *
 * A series too coarse in the model's plane (SkippedSeriesError) is an outcome, not a failure: the
 * job completes, an `ai_result` row of outcome 'skipped' keeps the reason, and nothing is stored
 * or delivered (issue 14 item 1).
 */
export class InferenceJobs {
  private readonly runners: RunnerCache;

  constructor(private readonly deps: InferenceDeps) {
    this.runners = new RunnerCache({ threads: deps.threads, idleMs: deps.idleReleaseMs });
  }

  handle = async (job: RunningJob<InferenceJobData>): Promise<unknown> => {
    const d = job.data;
    const { db } = this.deps;
    let row = await findResultRow(db.dataSource, d);
    let variants = new Map<string, string>();
    let afterStore: (() => Promise<void>) | undefined;
    const profiles = await destinationProfiles(db, d.destinations);
    if (!row) {
      const made = await this.segment(job, profiles);
      if (!made) return { superseded: true };
      row = made.row;
      variants = made.variants;
      afterStore = made.afterStore;
      // After the commit: queue statements never run inside an index transaction (docs/routing.md, Jobs).
      await cancelSupersededJobs(this.deps.queue, DELIVERY_JOB, row.cancelledJobs ?? [], this.deps.log);
    } else if (row.outcome === 'segmented') {
      variants.set('default', row.sop!);
      // Variant SEGs of an earlier attempt are found through their delivery rows.
      // (SEG rows only: the SR and overlay rows of the same destination are in result_object.)
      const rows = (await db.dataSource.query('SELECT destination, sop_instance_uid AS sop FROM delivery d WHERE ai_result_id = $1 AND NOT EXISTS (SELECT 1 FROM result_object o WHERE o.sop_instance_uid = d.sop_instance_uid)', [row.id])) as { destination: string; sop: string }[];
      for (const dest of d.destinations) {
        const hit = rows.find((r) => r.destination === dest.name);
        if (hit) variants.set(variantKey(dest.seg), hit.sop);
      }
    }
    if (row.outcome === 'skipped') {
      await job.progress(1, row.reason ?? 'skipped');
      const plane = (row.timings as { plane?: { source?: string } } | null)?.plane?.source ?? 'unknown';
      const out: SkippedJobResult = { skipped: true, reason: row.reason ?? 'skipped', plane, aiResultId: String(row.id), deliveries: 0, timings: row.timings };
      return out;
    }
    const found = row;
    // The SR (and overlay) of the result: made with the SEG; a retry after a crash in between makes them from the archive.
    const derive = async () =>
      (await recordedDerived(this.deps.archive, String(found.id), null)) ??
      // The SEG's delivery never depends on its SR: if it cannot be rebuilt, the SEG still goes out.
      (await this.deriveAgain(d, found, wantsOverlay(profiles)).catch((err: Error) => {
        this.deps.log.warn({ jobId: job.id, aiResult: String(found.id), err: err.message }, 'no measurement report for this result; delivering the SEG only');
        return undefined;
      }));
    // Time to result (issue 17 item 7): when no destination takes the SR or overlay, the SEG's
    // deliveries are queued first and the SR, overlay and shadow hook are made while the SEG is on
    // its way; the job still completes only after them, so a completed job has its SR.
    const needsDerived = [...profiles.values()].some((p) => p.some((x) => x !== 'seg'));
    if (needsDerived) await afterStore?.();
    const items = deliveryItems(d.destinations, profiles, variants, needsDerived ? await derive() : undefined);
    await enqueueDeliveries(db, this.deps.queue, String(row.id), items, d.review === 'immediate' ? 'pending' : 'awaiting-review');
    if (!needsDerived) {
      if (afterStore) await afterStore();
      else await derive();
    }
    await job.progress(1, 'done');
    return { aiResultId: String(row.id), segSopInstanceUid: row.sop, deliveries: items.length, timings: row.timings };
  };

  private async segment(job: RunningJob<InferenceJobData>, profiles: ReadonlyMap<string, OutputProfile[]>): Promise<{ row: ResultRow; variants: Map<string, string>; afterStore?: () => Promise<void> } | undefined> {
    const d = job.data;
    const { db, archive, log } = this.deps;
    const t0 = performance.now();
    const snap = await loadSeriesSnapshot(archive, d.seriesInstanceUid);
    if (!snap) throw new PermanentJobError('the source series is no longer stored');
    if (snap.fingerprint !== d.fingerprint) {
      // Instances arrived after the series was declared stable: it is pending again and will be
      // routed with its new content; this run would only make a SEG that is already outdated.
      log.info({ jobId: job.id }, 'series content changed since it became stable; this run is superseded');
      return undefined;
    }
    await job.progress(0.05, 'reading the series');
    const pkg = await this.deps.models.active(d.model).catch((err: Error) => {
      throw new PermanentJobError(`model "${d.model}": ${err.message}`);
    });
    const files = await Promise.all(snap.instances.map((i) => archive.blobs.read(i.sha256)));
    const revision = await revisionOf(db, d);
    const tSeg = performance.now();
    const meta = { jobId: job.id, generation: pkg.card.generation, modelSha256: pkg.sha256 };
    let result: SegmentSeriesResult;
    try {
      result = await this.runners.use(pkg, (runner) =>
        segmentSeries(files, pkg, runner, {
          softwareVersion: this.deps.softwareVersion,
          revision,
          onProgress: (done, total) => void job.progress(0.1 + (0.8 * done) / Math.max(1, total), `inference ${done}/${total} slices`).catch(() => undefined),
        }),
      );
    } catch (err) {
      if (err instanceof SkippedSeriesError) {
        const timings = { readMs: tSeg - t0, segmentMs: performance.now() - tSeg, totalMs: performance.now() - t0, plane: planeTimings(err.plan) };
        const row = await db.transaction((m) => insertResultRow(m, d, { outcome: 'skipped', reason: err.plan.reason }, { ...meta, timings }));
        log.info({ jobId: job.id, aiResult: String(row.id), model: d.model, plane: err.plan.source.plane, reason: err.plan.reason }, 'inference skipped; no SEG made');
        return { row, variants: new Map() };
      }
      // Geometry / transfer-syntax problems do not go away on retry.
      throw new PermanentJobError(`segmentation failed: ${(err as Error).message}`);
    }
    const segMs = performance.now() - tSeg;
    // Instances that arrived while the model ran make this SEG outdated before anyone sees it:
    // dropped like the check above, so no destination receives a SEG a re-run would replace.
    if ((await loadSeriesSnapshot(archive, d.seriesInstanceUid))?.fingerprint !== d.fingerprint) {
      log.info({ jobId: job.id }, 'series content changed during inference; this run is superseded');
      return undefined;
    }
    await job.progress(0.92, 'storing the SEG');
    const tStore = performance.now();
    const main = await storeObject(archive, result.seg);
    const variants = new Map<string, string>([['default', main.sopInstanceUid]]);
    for (const dest of d.destinations) {
      const key = variantKey(dest.seg);
      if (variants.has(key)) continue;
      const rec = await storeObject(archive, segVariant(result, files[0]!, pkg, dest.seg, this.deps.softwareVersion, revision));
      variants.set(key, rec.sopInstanceUid);
    }
    const timings = {
      readMs: tSeg - t0,
      volumeMs: result.volumeMs,
      pipelineMs: result.timings.total,
      networkMs: result.timings.inference,
      encodeMs: result.encodeMs,
      segmentMs: segMs,
      storeMs: performance.now() - tStore,
      totalMs: performance.now() - t0,
      plane: planeTimings(result.plan, result.planeTimings),
    };
    const row = await db.transaction((m) => insertResultRow(m, d, { outcome: 'segmented', segSeriesInstanceUid: main.seriesInstanceUid, segSopInstanceUid: main.sopInstanceUid }, { ...meta, timings }));
    log.info({ jobId: job.id, aiResult: String(row.id), model: d.model, generation: pkg.card.generation, plane: result.plan.action, ms: Math.round(timings.totalMs) }, 'inference done; SEG stored');
    // Made from the in-memory result; handle() decides whether before or after the deliveries are queued.
    const afterStore = async (): Promise<void> => {
      await job.progress(0.96, 'measurement report');
      const { seriesNumber } = sourceAttributes(files[0]!);
      await deriveAndStore(
        archive,
        String(row.id),
        null,
        {
          firstSource: files[0]!,
          volume: result.volume,
          labels: result.labels,
          segments: result.segments,
          seg: { sopInstanceUid: main.sopInstanceUid, seriesInstanceUid: main.seriesInstanceUid },
          producer: `Dafne ${pkg.card.name} gen ${pkg.card.generation}`,
          sourceSeriesNumber: seriesNumber ?? 0,
          equipment: { manufacturerModelName: 'Dafne Node', softwareVersions: this.deps.softwareVersion, deviceSerialNumber: pkg.sha256.slice(0, 16) },
          overlay: wantsOverlay(profiles),
        },
        d.studyInstanceUid,
        log,
      );
      // Never fails the job: the hook only records (shadow agreement); its result is not delivered.
      await this.deps.afterSegment?.({ modelId: d.model, generation: pkg.card.generation, aiResultId: String(row.id), files, labels: result.labels, segments: result.segments }).catch((err: Error) => log.warn({ err: err.message }, 'after-segment hook failed'));
    };
    return { row, variants, afterStore };
  }

  /** The SR / overlay of a result whose job stopped after recording the SEG (rebuilt from the archive). */
  private async deriveAgain(d: InferenceJobData, row: ResultRow, overlay: boolean): Promise<StoredDerived> {
    const [r] = (await this.deps.db.dataSource.query('SELECT generation, model_sha256 FROM ai_result WHERE id = $1', [row.id])) as { generation: number; model_sha256: string | null }[];
    const pkg = await this.deps.models.active(d.model).catch(() => undefined);
    const name = pkg?.card.name ?? d.model;
    return deriveFromArchive(
      this.deps.archive,
      { id: String(row.id), studyInstanceUid: d.studyInstanceUid, sourceSeriesInstanceUid: d.seriesInstanceUid, modelId: d.model, generation: Number(r?.generation ?? 0), modelSha256: r?.model_sha256 ?? null },
      row.sop!,
      { reviewId: null, overlay, producer: `Dafne ${name} gen ${r?.generation ?? 0}`, softwareVersion: this.deps.softwareVersion, log: this.deps.log },
    );
  }

  /** Model hashes whose session is loaded now (released after idleReleaseMs without a series). */
  get warmModels(): string[] {
    return this.runners.warm;
  }

  async close(): Promise<void> {
    await this.runners.close();
  }
}
