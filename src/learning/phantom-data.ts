import type { ModelCard } from '../inference/model-card.js';
import { seededRandom } from '../inference/onnx/test-models.js';
import { legPhantom, type LegPhantomOptions, type MrContrast, type TissueIntensities } from '../phantom/leg-phantom.js';
import { toModelGrid } from './model-grid.js';
import { concatSets, type SliceSet } from './slice-set.js';

/**
 * Leg phantoms as model-grid slice sets (the demo model's training data and the learning tests'
 * "corrections"). Each phantom varies anatomy, source grid (so the resampling path is exercised),
 * noise, bias field and intensity scale from its seed; slices sample the calf every 10 mm.
 */
export interface PhantomSetOptions {
  seeds: readonly number[];
  contrasts: readonly (MrContrast | TissueIntensities)[];
  /** Slices per phantom (10 mm apart); default 14. */
  slices?: number;
  noise?: [number, number];
  biasField?: [number, number];
  anatomyVariation?: number;
}

const GRIDS: { size: number; spacing: number }[] = [
  { size: 256, spacing: 0.664 }, { size: 192, spacing: 0.85 }, { size: 128, spacing: 1.0 }, { size: 160, spacing: 1.1 },
];

export function phantomOptions(seed: number, contrast: MrContrast | TissueIntensities, o: Omit<PhantomSetOptions, 'seeds' | 'contrasts'> = {}): LegPhantomOptions {
  const r = seededRandom(seed * 7919 + 13);
  const grid = GRIDS[Math.floor(r() * GRIDS.length)]!;
  const [n0, n1] = o.noise ?? [8, 25];
  const [b0, b1] = o.biasField ?? [0.05, 0.25];
  return {
    seed, contrast, rows: grid.size, columns: grid.size, pixelSpacing: [grid.spacing, grid.spacing],
    slices: o.slices ?? 14, sliceSpacing: 10, anatomyVariation: o.anatomyVariation ?? 0.8,
    // Right legs only, like Dafne's Leg model (each leg is split off and mirrored to one side).
    side: (void r(), 'right'), noise: n0 + (n1 - n0) * r(), biasField: b0 + (b1 - b0) * r(), intensityScale: 0.5 + 1.5 * r(),
  };
}

export function phantomSet(card: ModelCard, o: PhantomSetOptions): SliceSet {
  const sets: SliceSet[] = [];
  o.seeds.forEach((seed, i) => {
    const contrast = o.contrasts[i % o.contrasts.length]!;
    const p = legPhantom(phantomOptions(seed, contrast, o));
    sets.push(toModelGrid(p.volume, p.labels, card));
  });
  return concatSets(sets);
}
