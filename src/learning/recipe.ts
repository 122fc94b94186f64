import os from 'node:os';
import { z } from 'zod';

/**
 * The fine-tuning recipe. Defaults are Dafne's incremental-learning recipe (Adam, lr 1e-3, 5 epochs,
 * batch 5) with its newer loss (Dice + cross-entropy), plus rehearsal (below). `l2Pull` adds λ·Σ(w − w_base)² over the
 * trainable weights (protection against forgetting); BatchNorm stays frozen (running statistics)
 * unless `trainBatchNorm`: batch statistics of a few correlated slices are noisy (engine notes).
 */
export const recipeSchema = z
  .object({
    learningRate: z.number().positive().default(1e-3),
    epochs: z.number().int().min(1).default(5),
    batchSize: z.number().int().min(1).default(5),
    /** Slices per forward/backward pass; gradients are accumulated up to batchSize (wasm heap ≤ 4 GiB). 0 = auto. */
    microBatch: z.number().int().min(0).default(0),
    diceWeight: z.number().min(0).default(1),
    crossEntropyWeight: z.number().min(0).default(1),
    /** Cross-entropy class weights ∝ pixel frequency^−classBalance over the training set (0 = unweighted, Dafne used weighted CE). */
    classBalance: z.number().min(0).max(1).default(0),
    l2Pull: z.number().min(0).default(0),
    /**
     * Rehearsal slices mixed in per correction slice and epoch, when a rehearsal buffer is given
     * (fineTune): the model's reference data and series earlier runs trained on. Default 2 (not
     * Dafne's 0): on a phantom style the demo model never saw, 8 corrected series with rehearsal 2
     * kept the original style within 0.01 where Dafne's recipe lost 0.20 (docs/learning.md).
     */
    rehearsal: z.number().min(0).default(2),
    trainBatchNorm: z.boolean().default(false),
    /** Random intensity gain / shift of training slices (off in Dafne's recipe). */
    augment: z.boolean().default(false),
    /** 'cosine' decays the learning rate to 5 % over the run (training from scratch); Dafne: constant. */
    schedule: z.enum(['constant', 'cosine']).default('constant'),
    seed: z.number().int().default(1),
    /**
     * Worker threads for data-parallel gradients: 1 = in the calling thread; 0 (default) = auto,
     * min(2, available cores) — 2 one-thread workers ran the 256² step 1.6× faster than one thread (bench:train, onnxruntime engine, one run).
     */
    workers: z.number().int().min(0).max(16).default(0),
  })
  .strict();

export type Recipe = z.infer<typeof recipeSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;

/** Dafne's own recipe (no rehearsal), for comparisons; the product default is `recipe()`. */
export const DAFNE_RECIPE: Recipe = recipeSchema.parse({ rehearsal: 0 });

export function recipe(overrides: RecipeInput = {}): Recipe {
  return recipeSchema.parse(overrides);
}

/** The worker threads a recipe asks for (0 = auto: min(2, available cores)). */
export function workersFor(r: Recipe): number {
  return r.workers > 0 ? r.workers : Math.min(2, os.availableParallelism());
}

/** Slices per pass: about 4 × 256² pixels (≈ 3.3 GiB of the wasm heap for a 4-level U-Net, engine notes). */
export function microBatchFor(r: Recipe, h: number, w: number): number {
  if (r.microBatch > 0) return Math.min(r.microBatch, r.batchSize);
  return Math.max(1, Math.min(r.batchSize, Math.floor((4 * 256 * 256) / (h * w))));
}
