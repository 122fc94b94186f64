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

/**
 * Seed set (`run.ts --seeds 11,12,13`, or FED_SEED_SET): every seed of the sites' data — each site's
 * held-out phantoms, its per-round corrections, the poisoned site's — is shifted by SEED_SET ×
 * 1,000,000, so seed sets share no phantom and none of them was used by a run before (set 0 = the
 * seeds of the runs before issue 20). The root (root.ts) is the same weak T1 model in every set, the
 * consortium's common starting point; the card's reference seeds and the central validation seeds are
 * product settings (card, config/default.yaml) and stay too.
 */
export const SEED_SET = Number(process.env.FED_SEED_SET ?? 0);
export const SEED_OFFSET = SEED_SET * 1_000_000;
for (const s of [...SITES, POISON_SITE]) s.seedBase += SEED_OFFSET;

/**
 * Experiment size: what the simulated consortium HAS (data per site and round, rounds), never how
 * the product learns or merges — that is config/default.yaml and the recipe (issue 20 item 1), read
 * by site.ts and run.ts through the product's own config loader.
 */
export const SIZE = {
  generations: Number(process.env.FED_GENERATIONS ?? 10),
  /**
   * Phantoms × slices of new corrections per site and round: 2 × 6 (at the T2/PD/fat-suppressed
   * sites one own-contrast and one T1 phantom: T1 rehearsal in the same round). With the product
   * recipe (5 epochs, rehearsal 2×) one round of 2 phantoms took 5–11 s per site alone on the machine
   * and every site's gate accepted (probe-product.ts).
   */
  phantomsPerRound: Number(process.env.FED_PHANTOMS ?? 2),
  slicesPerPhantom: Number(process.env.FED_SLICES ?? 6),
  /**
   * Each site's held-out set (never trained on): the site's local gate, its validation reports and
   * the must-show's "no published generation loses more than 0.005" are measured on it.
   */
  heldOutPhantoms: Number(process.env.FED_HELDOUT_PHANTOMS ?? 30),
  heldOutSlices: Number(process.env.FED_HELDOUT_SLICES ?? 6),
  /** Round in which the central server is down. */
  outageRound: Number(process.env.FED_OUTAGE_ROUND ?? 5),
};
