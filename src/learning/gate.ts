import { evaluateDice } from './evaluate.js';
import type { SliceSet } from './slice-set.js';

/**
 * The local validation gate (issue 6 item 4). Unlike Dafne's (an absolute threshold on the server's
 * test set, which let regressions through), it compares the candidate with the active model on the
 * same data: it must not lose more than ε mean Dice on the held-out corrections, on the frozen
 * benchmark set or on the model's own reference set, and must improve on the new corrections. Each
 * skill is judged on its own data (like with like): the site's on the site's held-out series, the
 * original one on the model's reference data, so a large gain on one cannot hide a loss on another.
 */
export interface GateOptions {
  /** Largest allowed loss of mean Dice on held-out, benchmark and reference sets; default 0.005. */
  epsilon?: number;
  /** Required gain of mean Dice on the new corrections; default 0 (strictly better). */
  minImprovement?: number;
  /**
   * The reference-set score of the model as installed (the root generation). When given, the
   * reference check compares the candidate with it instead of with the active model: ε then bounds
   * the forgetting accumulated over all local runs, not each run's share of it.
   */
  referenceFloor?: number;
}

export interface GateSets {
  /** Held-out corrections (series never trained on). */
  heldOut?: SliceSet;
  /** The frozen local benchmark set. */
  benchmark?: SliceSet;
  /** The model's own reference data (card `reference`): its original skill, never trained on. */
  reference?: SliceSet;
  /** The new corrections the candidate was trained on. */
  corrections: SliceSet;
}

export type GateSetName = keyof GateSets;
export type GateScores = Partial<Record<GateSetName, number>>;

export interface GateDecision {
  accepted: boolean;
  /** One line per check, e.g. "benchmark: 0.912 → 0.905 (−0.007 < −0.005)". */
  reasons: string[];
  active: GateScores;
  candidate: GateScores;
  epsilon: number;
}

export async function runGate(active: Uint8Array, candidate: Uint8Array, sets: GateSets, labels: number, opts: GateOptions = {}): Promise<GateDecision> {
  const epsilon = opts.epsilon ?? 0.005;
  const minImprovement = opts.minImprovement ?? 0;
  const a: GateScores = {}, c: GateScores = {};
  const reasons: string[] = [];
  let accepted = true;
  for (const name of ['heldOut', 'benchmark', 'reference', 'corrections'] as const) {
    const set = sets[name];
    if (!set || set.count === 0) {
      if (name === 'corrections') {
        accepted = false;
        reasons.push('corrections: none (nothing to improve on)');
      } else reasons.push(`${name}: no slices (check skipped)`);
      continue;
    }
    a[name] = (await evaluateDice(active, set, labels)).mean;
    c[name] = (await evaluateDice(candidate, set, labels)).mean;
    const installed = name === 'reference' && opts.referenceFloor !== undefined;
    const before = installed ? opts.referenceFloor! : a[name]!;
    const after = c[name]!;
    const delta = after - before;
    const text = `${name}: ${before.toFixed(4)}${installed ? ' (as installed)' : ''} → ${after.toFixed(4)} (${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(4)}`;
    if (name === 'corrections') {
      const ok = delta > minImprovement;
      if (!ok) accepted = false;
      reasons.push(`${text}${ok ? ', improves' : `, must improve by more than ${minImprovement}`})`);
    } else {
      const ok = delta >= -epsilon;
      if (!ok) accepted = false;
      reasons.push(`${text}${ok ? `, within ε ${epsilon}` : `, loses more than ε ${epsilon}`})`);
    }
  }
  return { accepted, reasons, active: a, candidate: c, epsilon };
}
