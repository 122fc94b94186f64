import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import type { LabelVolume } from '../dicom/volume.js';
import { buildVolume } from '../dicom/series-volume.js';
import type { ModelRegistry } from '../inference/model-registry.js';
import { RunnerCache } from '../inference/runner-cache.js';
import { segmentVolume } from '../inference/pipeline.js';
import type { SegmentDefinition } from '../seg/segment.js';
import { everActive, pendingCandidates, type Policy } from './model-state.js';

/** What the inference job hands over after it stored the active model's SEG of a routed series. */
export interface SegmentedSeries {
  modelId: string;
  generation: number;
  aiResultId: string;
  files: Buffer[];
  labels: LabelVolume;
  segments: SegmentDefinition[];
}

/** Dice per segment label between two label volumes of one grid (labels absent from both are left out). */
export function labelAgreement(a: Uint8Array, b: Uint8Array, segments: readonly SegmentDefinition[]): { perLabel: Record<string, number>; mean: number | null } {
  if (a.length !== b.length) throw new RangeError(`label volumes differ in size (${a.length} vs ${b.length})`);
  const ca = new Float64Array(256), cb = new Float64Array(256), both = new Float64Array(256);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    ca[x]++;
    cb[y]++;
    if (x === y) both[x]++;
  }
  const perLabel: Record<string, number> = {};
  for (const s of segments) {
    const sum = ca[s.labelValue]! + cb[s.labelValue]!;
    if (sum > 0) perLabel[s.label] = (2 * both[s.labelValue]!) / sum;
  }
  const v = Object.values(perLabel);
  return { perLabel, mean: v.length ? v.reduce((x, y) => x + y, 0) / v.length : null };
}

/**
 * Shadow policy (issue 6 item 5): the newest candidate the gate accepted runs beside the active
 * model on every newly routed series of that model. Its result is never stored or delivered; only
 * the agreement (Dice per label between the two label volumes on the source grid) is recorded in
 * `shadow_comparison` and shown with the generation. A failure here never fails the inference job.
 */
export class ShadowRunner {
  private readonly runners: RunnerCache;

  constructor(private readonly d: { db: Database; models: ModelRegistry; policy: (modelId: string) => Policy; log: Logger; threads?: number; idleReleaseMs?: number }) {
    this.runners = new RunnerCache({ threads: d.threads ?? 2, idleMs: d.idleReleaseMs });
  }

  afterSegment = async (e: SegmentedSeries): Promise<void> => {
    try {
      if (this.d.policy(e.modelId) !== 'shadow') return;
      const gens = await this.d.models.generations(e.modelId);
      const pending = pendingCandidates(gens, await everActive(this.d.db, e.modelId));
      const shadow = pending[pending.length - 1];
      if (!shadow || shadow.generation === e.generation) return;
      const pkg = await this.d.models.package(e.modelId, shadow.generation);
      const volume = await buildVolume(e.files);
      const result = await this.runners.use(pkg, (runner) => segmentVolume(volume, pkg, runner));
      const agreement = labelAgreement(e.labels.data, result.labels.data, e.segments);
      await this.d.db.dataSource.query(
        'INSERT INTO shadow_comparison (model_id, active_generation, shadow_generation, ai_result_id, mean_dice, per_label) VALUES ($1, $2, $3, $4, $5, $6)',
        [e.modelId, e.generation, shadow.generation, e.aiResultId, agreement.mean, JSON.stringify(agreement.perLabel)],
      );
      this.d.log.info({ model: e.modelId, active: e.generation, shadow: shadow.generation, aiResult: e.aiResultId, meanDice: agreement.mean }, 'shadow candidate compared');
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message, model: e.modelId }, 'shadow comparison failed');
    }
  };

  async close(): Promise<void> {
    await this.runners.close();
  }
}
