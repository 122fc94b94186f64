import type { Score } from './validation-set.js';

/**
 * The central gate's rule (docs/federation.md "Central gate"): the merged candidate may lose at most ε
 * mean Dice against the root on the whole validation set AND on each contrast of it (Score.perContrast,
 * when the set has several): the pooled mean alone can hide a loss on one site's protocol behind a
 * gain on another's.
 */
export interface GateVerdict {
  accepted: boolean;
  change: number;
  /** The contrast (index in the configured list) that lost most, and how much (0 when none lost). */
  worstContrast: { index: number; loss: number } | null;
  reason: string | null;
}

const f4 = (x: number) => x.toFixed(4);

export function gateVerdict(root: Score, candidate: Score, epsilon: number): GateVerdict {
  const change = candidate.mean - root.mean;
  let worst: GateVerdict['worstContrast'] = null;
  if (candidate.perContrast && root.perContrast && candidate.perContrast.length === root.perContrast.length) {
    candidate.perContrast.forEach((c, index) => {
      const loss = root.perContrast![index]! - c;
      if (!worst || loss > worst.loss) worst = { index, loss };
    });
  }
  const w = worst as GateVerdict['worstContrast'];
  if (!(change >= -epsilon)) return { accepted: false, change, worstContrast: w, reason: `loses more than ε ${epsilon}` };
  if (w && !(w.loss <= epsilon)) {
    return { accepted: false, change, worstContrast: w, reason: `loses ${f4(w.loss)} on contrast ${w.index + 1} of the validation set (${f4(root.perContrast![w.index]!)} → ${f4(candidate.perContrast![w.index]!)}), more than ε ${epsilon}` };
  }
  return { accepted: true, change, worstContrast: w, reason: null };
}
