import type { MrContrast, TissueIntensities } from '../../src/phantom/leg-phantom.js';

/**
 * The simulated consortium: each site scans its own contrast and population (anatomy variation).
 * The root (root.ts) was trained on T1 only: T2 (long TE), PD and fat-suppressed (STIR-like) are
 * absent from it.
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
  /** The root (root.ts) was trained on this contrast: T1 only. */
  inRoot?: boolean;
  /** Poisoned site: trains on permuted labels and uploads a sign-flipped, scaled delta, bypassing its gate. */
  poison?: boolean;
}

export const SITES: SiteSpec[] = [
  { name: 'site-t1', contrast: 'T1', contrastName: 'T1 (the root\'s contrast)', anatomyVariation: 0.6, seedBase: 10_000, inRoot: true },
  // Like most leg protocols, the T2 and PD sites' studies also have a T1 series (readers accept its AI
  // results, which are training data too): every round's phantoms alternate their own contrast and T1
  // (half of each round's slices are T1).
  { name: 'site-t2', contrast: T2_LONG_TE, contrastName: 'T2 long TE (unseen)', anatomyVariation: 1.0, seedBase: 20_000, alsoScans: ['T1'] },
  { name: 'site-pd', contrast: 'PD', contrastName: 'PD (unseen)', anatomyVariation: 0.8, seedBase: 30_000, alsoScans: ['T1'] },
  // A neuromuscular protocol: T1 and a fat-suppressed (STIR-like) series in each study (its readers
  // correct the fat-suppressed results, accept the T1 ones). The root saw T1 only (root.ts).
  { name: 'site-fs', contrast: FAT_SUPPRESSED, contrastName: 'fat-suppressed (unseen)', anatomyVariation: 0.9, seedBase: 40_000, alsoScans: ['T1'] },
];

export const POISON_SITE: SiteSpec = { name: 'site-poison', contrast: 'T1', contrastName: 'T1, permuted labels', anatomyVariation: 0.8, seedBase: 90_000, poison: true };

/** Experiment size (≤ 20 min on 2 shared cores): see docs/federation.md "Simulation". */
export const SIZE = {
  generations: Number(process.env.FED_GENERATIONS ?? 10),
  /**
   * Phantoms × slices of new corrections per site and round: 4 × 6 (2 own-contrast + 2 T1 phantoms at
   * the T2/PD/fat-suppressed sites). With 2 × 6 the T1 and PD sites' candidates often failed their own
   * gate (held-out −0.006…−0.028 after 2 epochs on 12 slices).
   */
  phantomsPerRound: Number(process.env.FED_PHANTOMS ?? 4),
  slicesPerPhantom: Number(process.env.FED_SLICES ?? 6),
  /** Local epochs per round (the recipe's other settings are the default recipe's). */
  epochs: Number(process.env.FED_EPOCHS ?? 2),
  /**
   * The sites' recipe override: learning rate 5e-5 (the recipe default is Dafne's 1e-3), no L2 pull (the
   * recipe default, 0). One round of each site's fine-tune on the T1-only root (probe-recipe.ts, 2
   * phantoms × 6 slices, 2 epochs): lr 1e-3 with l2Pull 30 made every candidate WORSE even on the
   * corrections it trained on (T2 held-out 0.518 → 0.366, fat-suppressed 0.189 → 0.083, central −0.04…
   * −0.12: no site's gate accepted); lr 3e-4: T2 +0.17, fat-suppressed +0.21, but the T2 delta alone
   * −0.043 central; lr 1e-4: T2 +0.12, fat-suppressed +0.11, central −0.002 / −0.002. A full run at
   * 1e-4 with small sets and the gate at 0.005 published 3 generations in 10 rounds
   * (results-weak-root-lr1e-4.json), at 5e-5 5 (results-small-sets.json). With the central gate at
   * ε 0.0025 and server steps [1, 0.5, 0.25] (below), 1e-4 is the default again: a window the full
   * step would fail is published at a smaller step instead of lost (8 generations, slope 0.0100 per
   * generation against 0.0070 at 5e-5 with the same gate; docs/federation.md "Reading the result").
   */
  learningRate: Number(process.env.FED_LR ?? 1e-4),
  l2Pull: Number(process.env.FED_L2 ?? 0),
  /**
   * Each site's held-out set (never trained on): the site's local gate and the must-show's "no accepted
   * generation loses more than 0.005" are measured on it, so it has to resolve changes of that size.
   */
  heldOutPhantoms: Number(process.env.FED_HELDOUT_PHANTOMS ?? 30),
  heldOutSlices: Number(process.env.FED_HELDOUT_SLICES ?? 6),
  /**
   * Central validation phantoms per contrast (seeds 9001…, contrast i mod 4). 20 × 6 slices: one scoring
   * of the 480 slices ≈ 3.5 s; a paired Dice change of one round's update varies by ≈ 0.007 (T1) to
   * 0.03 (fat-suppressed) between single phantoms, so 3 phantoms per contrast read a change to ±0.004.
   */
  centralPhantomsPerContrast: Number(process.env.FED_CENTRAL_PHANTOMS ?? 20),
  centralSlices: Number(process.env.FED_CENTRAL_SLICES ?? 6),
  /** Round in which the central server is down. */
  outageRound: Number(process.env.FED_OUTAGE_ROUND ?? 5),
};

/**
 * The central server's validation set (config central.validation): the consortium curates phantoms of
 * every contributed protocol, SIZE.centralPhantomsPerContrast per contrast (seed i has contrast i mod 4), never a site's held-out or
 * training seeds; the central gate holds each contrast to ε (src/federation/central/merge-round.ts).
 */
export const CENTRAL_VALIDATION = {
  seeds: Array.from({ length: SIZE.centralPhantomsPerContrast * SITES.length }, (_, i) => 9001 + i),
  contrasts: SITES.map((s) => s.contrast),
  slices: SIZE.centralSlices,
};

/**
 * The central server's steps along a merged update (config central.serverSteps, product default
 * [1, 0.5]): a window whose full update fails the gate is tried again at half, then a quarter of the
 * step before it is rejected. The quarter step matters with the tighter ε below.
 */
export const SERVER_STEPS = (process.env.FED_SERVER_STEPS ?? '1,0.5,0.25').split(',').map(Number);

/**
 * The central gate's ε (config central.epsilon; the product default is 0.005). The must-show holds
 * every site's held-out set to 0.005, and the central set measures the sites' data only to within
 * ≈ 0.003 (rescore.ts), so the consortium can run its gate tighter than the promise it makes.
 */
export const CENTRAL_EPSILON = Number(process.env.FED_EPSILON ?? 0.0025);
