import type { ModelCard } from '../../inference/model-card.js';
import { OnnxRunner } from '../../inference/onnx-runner.js';
import { countLabels, emptyCounts, summarise } from '../../learning/evaluate.js';
import { phantomSet } from '../../learning/phantom-data.js';
import type { SliceSet } from '../../learning/slice-set.js';
import type { MrContrast, TissueIntensities } from '../../phantom/leg-phantom.js';

/** Central validation score of one model file (mean Dice over labels, pooled over the set). */
export interface Score {
  mean: number;
  perLabel: number[];
  slices: number;
  /**
   * Mean Dice of each contrast's subset of the set, in the order of the configured contrasts (only when
   * the set has several): the central gate holds every contrast to ε, so a candidate cannot buy a gain
   * on one site's protocol with a loss on another's hidden in the pooled mean.
   */
  perContrast?: number[];
}

/**
 * Scores candidate models on the central validation set. The default set is phantom-generated from
 * FROZEN seeds (config central.validation), recorded with every score, so two generations are always
 * compared on identical data. Phantoms are leg sections: this default fits leg models only; another
 * model type needs its own set (implement Scorer).
 */
export interface Scorer {
  /** What the set is (recorded in each generation's validation). */
  describe(card: ModelCard): Record<string, unknown>;
  /** sha256 (optional) lets an implementation cache the score of a file it has seen. */
  score(card: ModelCard, onnx: Uint8Array, sha256?: string): Promise<Score>;
}

export interface PhantomValidationOptions {
  seeds: readonly number[];
  /** Named contrasts or tissue intensities (a site's contrast the root never saw belongs here too). */
  contrasts: readonly (MrContrast | { air: number; skin: number; fat: number; fascia: number; muscle: number; cortex: number; marrow: number; muscles?: Record<string, number> })[];
  slices: number;
}

export class PhantomScorer implements Scorer {
  /** The set as one part per contrast (a single part when the set has one contrast). */
  private readonly sets = new Map<string, { parts: SliceSet[]; multi: boolean }>();
  /** Scores by model file hash: the root is scored once per window, not once per delta. */
  private readonly cache = new Map<string, Score>();

  constructor(private readonly opts: PhantomValidationOptions) {}

  describe(card: ModelCard): Record<string, unknown> {
    return { kind: 'phantom', seeds: [...this.opts.seeds], contrasts: [...this.opts.contrasts], slicesPerPhantom: this.opts.slices, size: card.input.size, pixelSpacing: card.input.pixelSpacing };
  }

  private set(card: ModelCard): { parts: SliceSet[]; multi: boolean } {
    const key = `${card.id}:${card.input.size.join('x')}:${card.input.pixelSpacing.join('x')}`;
    let set = this.sets.get(key);
    if (!set) {
      const contrasts = this.opts.contrasts as readonly (MrContrast | TissueIntensities)[];
      // phantomSet gives seed i the contrast i mod n: the same phantoms, grouped by contrast.
      const parts = contrasts
        .map((c, k) => ({ c, seeds: this.opts.seeds.filter((_, i) => i % contrasts.length === k) }))
        .filter((g) => g.seeds.length > 0)
        .map((g) => phantomSet(card, { seeds: g.seeds, contrasts: [g.c], slices: this.opts.slices }));
      set = { parts, multi: contrasts.length > 1 };
      this.sets.set(key, set);
    }
    return set;
  }

  async score(card: ModelCard, onnx: Uint8Array, sha256?: string): Promise<Score> {
    const hit = sha256 ? this.cache.get(sha256) : undefined;
    if (hit) return hit;
    const { parts, multi } = this.set(card);
    const labels = card.labels.length;
    // One inference pass per slice: each contrast's counts give its own Dice, their sums the pooled
    // Dice (the same pixel counts evaluateDice pools over the whole set), so a larger set costs one
    // pass rather than two.
    const total = emptyCounts(labels);
    const perContrast: number[] = [];
    let slices = 0;
    const runner = await OnnxRunner.create(onnx, { intraOpNumThreads: 2 });
    try {
      for (const part of parts) {
        const c = await countLabels(runner, part, labels);
        for (let l = 0; l <= labels; l++) {
          total.inter[l] += c.inter[l]!;
          total.truth[l] += c.truth[l]!;
          total.pred[l] += c.pred[l]!;
        }
        perContrast.push(summarise(c.inter, c.truth, c.pred, labels, part.count).mean);
        slices += part.count;
      }
    } finally {
      await runner.close();
    }
    const pooled = summarise(total.inter, total.truth, total.pred, labels, slices);
    const score: Score = { mean: pooled.mean, perLabel: pooled.perLabel, slices };
    if (multi) score.perContrast = perContrast;
    if (sha256) {
      if (this.cache.size > 64) this.cache.clear();
      this.cache.set(sha256, score);
    }
    return score;
  }
}
