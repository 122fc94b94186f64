import type { ModelCard } from '../inference/model-card.js';
import { phantomSet } from './phantom-data.js';
import type { SliceSet } from './slice-set.js';

/**
 * The model's own reference data (model card `reference`, issue 15): what the model could do when
 * installed, regenerated on the model grid from the seeded generator the card names.
 * - `rehearsal` is mixed into every fine-tune with the site's corrections (recipe.rehearsal), so
 *   learning a site's style does not overwrite the original one (measured: docs/learning.md);
 * - `check` is a disjoint set the gate scores, candidate against active: the original skill is
 *   judged on original data, the site's on the site's held-out series (like with like).
 * Generated per run (≈ 10 s for 30 phantoms) and not cached: an idle node holds none of it.
 */
export interface ReferenceSets {
  rehearsal: SliceSet;
  check: SliceSet;
}

const seeds = ([first, count]: readonly [number, number]): number[] => Array.from({ length: count }, (_, i) => first + i);

export function referenceSets(card: ModelCard, parts: { rehearsal?: boolean; check?: boolean } = { rehearsal: true, check: true }): Partial<ReferenceSets> | undefined {
  const ref = card.reference;
  if (!ref) return undefined;
  const make = (s: readonly [number, number]): SliceSet => phantomSet(card, { seeds: seeds(s), contrasts: ref.contrasts });
  return {
    ...(parts.rehearsal ? { rehearsal: make(ref.rehearsal) } : {}),
    ...(parts.check ? { check: make(ref.check) } : {}),
  };
}
