import type { MrContrast, TissueIntensities } from '../../src/phantom/leg-phantom.js';

/**
 * The simulated consortium: each site scans its own contrast and population (anatomy variation);
 * one contrast (fat-suppressed, STIR-like) is absent from the root model's training data (T1/T2/PD).
 */
export const FAT_SUPPRESSED: TissueIntensities = { air: 0, skin: 260, fat: 90, fascia: 520, muscle: 330, cortex: 20, marrow: 110 };
// A T2 variant with a longer TE: muscle darker relative to fat (a different scanner protocol).
const T2_LONG_TE: TissueIntensities = { air: 0, skin: 300, fat: 760, fascia: 80, muscle: 130, cortex: 18, marrow: 690 };

export interface SiteSpec {
  name: string;
  contrast: MrContrast | TissueIntensities;
  contrastName: string;
  anatomyVariation: number;
  /** Seed block: held-out seeds and per-round correction seeds never overlap between sites. */
  seedBase: number;
  /**
   * Other sequences of the site's protocol whose AI results the readers accept as they are (accepted
   * results are training data too, docs/learning.md): the round's phantoms cycle through
   * [contrast, ...alsoScans]. The held-out set is the site's own contrast only.
   */
  alsoScans?: (MrContrast | TissueIntensities)[];
  /** Poisoned site: trains on permuted labels and uploads a sign-flipped, scaled delta, bypassing its gate. */
  poison?: boolean;
}

export const SITES: SiteSpec[] = [
  { name: 'site-t1', contrast: 'T1', contrastName: 'T1', anatomyVariation: 0.6, seedBase: 10_000 },
  { name: 'site-t2', contrast: T2_LONG_TE, contrastName: 'T2 (long TE)', anatomyVariation: 1.0, seedBase: 20_000 },
  { name: 'site-pd', contrast: 'PD', contrastName: 'PD', anatomyVariation: 0.8, seedBase: 30_000 },
  // A neuromuscular protocol: T1 and a fat-suppressed (STIR-like) series in each study; only the
  // fat-suppressed one is new to the root model (its readers correct those, accept the T1 results).
  { name: 'site-fs', contrast: FAT_SUPPRESSED, contrastName: 'fat-suppressed (unseen by the root)', anatomyVariation: 0.9, seedBase: 40_000, alsoScans: ['T1'] },
];

export const POISON_SITE: SiteSpec = { name: 'site-poison', contrast: 'T1', contrastName: 'T1, permuted labels', anatomyVariation: 0.8, seedBase: 90_000, poison: true };

/** Experiment size (≤ 20 min on 2 shared cores): see docs/federation.md "Simulation". */
export const SIZE = {
  generations: Number(process.env.FED_GENERATIONS ?? 10),
  /** Phantoms × slices of new corrections per site and round. */
  phantomsPerRound: Number(process.env.FED_PHANTOMS ?? 2),
  slicesPerPhantom: Number(process.env.FED_SLICES ?? 6),
  /** Local epochs per round (the recipe's other settings are the default recipe's). */
  epochs: Number(process.env.FED_EPOCHS ?? 2),
  /**
   * The sites' `learning.recipe.learningRate` override. Dafne's 1e-3 made every fat-suppressed delta
   * lose 0.04–0.13 central validation Dice on its own (screened out: measured, docs/federation.md
   * "Simulation"); 3e-4 reached 8 generations in 10 rounds with larger swings; 1e-4 is the site
   * configuration this simulation runs with. Everything else is the default recipe.
   */
  learningRate: Number(process.env.FED_LR ?? 1e-4),
  heldOutPhantoms: 3,
  heldOutSlices: 8,
  /** Round in which the central server is down. */
  outageRound: Number(process.env.FED_OUTAGE_ROUND ?? 5),
};
