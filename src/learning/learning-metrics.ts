import type { Database } from '../db/data-source.js';
import type { ModelPackage } from '../inference/model-package.js';
import type { GenerationInfo, ModelRegistry } from '../inference/model-registry.js';
import { evaluateDice } from './evaluate.js';
import type { GateDecision, GateSets } from './gate.js';

/**
 * Continual-learning metrics of one learning run (issue 15 item 3), after Lifelong-nnU-Net
 * (González et al. 2023) and GEM (Lopez-Paz & Ranzato 2017), where R(j, i) is the Dice of the
 * model after step j on the data of task i. A node's tasks are its original training data (task 0,
 * scored on the card's reference check set) and each night's new corrections:
 * - backward transfer, `bwt` = R(candidate, reference) − R(base, reference): what this run did to the
 *   skill the model was installed with (negative = forgetting); `bwtSinceRoot` the same against the
 *   root generation (the one local learning started from), i.e. the forgetting accumulated so far;
 * - forward transfer, `fwt` = R(base, new corrections) − R(root, new corrections): how much the
 *   earlier local runs already helped on this night's data before training on it (0 on the first run).
 * The held-out scores (site series never trained on) are the learning curve's y value. Mean Dice
 * over labels, the gate's measure (evaluate.ts).
 */
export interface LearningMetrics {
  /** Corrected series the model had learned from after this run (accepted runs' training series). */
  seriesLearned: number;
  /** Corrected series any run has trained on so far, accepted or not (rejected runs' are tried again). */
  seriesCorrected: number;
  rootGeneration: number;
  baseGeneration: number;
  heldOut: { base: number; candidate: number } | null;
  reference: { root: number; base: number; candidate: number } | null;
  corrections: { root: number; base: number; candidate: number };
  bwt: number | null;
  bwtSinceRoot: number | null;
  fwt: number;
}

/** The generation local learning started from: up the parent hashes while the origin is local-fine-tune. */
export function rootOf(gens: GenerationInfo[], sha256: string): GenerationInfo | undefined {
  const bySha = new Map(gens.map((g) => [g.sha256, g]));
  let g = bySha.get(sha256);
  for (let hops = 0; g && g.origin === 'local-fine-tune' && g.parentSha256 && hops < gens.length; hops++) {
    const parent = bySha.get(g.parentSha256);
    if (!parent) break;
    g = parent;
  }
  return g;
}

const round = (v: number): number => Number(v.toFixed(4));

/** The root generation's package (`base` itself when local learning has not left it yet). */
export async function rootPackage(models: ModelRegistry, modelId: string, base: ModelPackage): Promise<ModelPackage> {
  const info = rootOf(await models.generations(modelId), base.sha256);
  return info && info.sha256 !== base.sha256 ? models.package(modelId, info.generation) : base;
}

export interface MetricsInput {
  db: Database;
  modelId: string;
  base: ModelPackage;
  /** The root generation (rootPackage) and, when there is a reference set, its score there. */
  root: ModelPackage;
  rootReference?: number;
  /** The generation the gate compared with (scores in `gate.active`). */
  active: ModelPackage;
  candidate: Uint8Array;
  sets: GateSets;
  gate: GateDecision;
  labels: number;
}

export async function learningMetrics(m: MetricsInput): Promise<LearningMetrics> {
  const root = m.root;
  const score = async (pkg: ModelPackage, name: 'reference' | 'corrections' | 'heldOut'): Promise<number> => {
    if (pkg.sha256 === m.active.sha256 && m.gate.active[name] !== undefined) return m.gate.active[name]!;
    if (pkg === root && name === 'reference' && m.rootReference !== undefined) return m.rootReference;
    return (await evaluateDice(pkg.onnx, m.sets[name]!, m.labels)).mean;
  };
  const corrections = { root: await score(root, 'corrections'), base: await score(m.base, 'corrections'), candidate: m.gate.candidate.corrections! };
  const reference = m.sets.reference?.count
    ? { root: await score(root, 'reference'), base: await score(m.base, 'reference'), candidate: m.gate.candidate.reference! }
    : null;
  const heldOut = m.sets.heldOut?.count ? { base: await score(m.base, 'heldOut'), candidate: m.gate.candidate.heldOut! } : null;
  // Called after the run's samples are recorded: 'train' rows are accepted runs' (this one included).
  const counts = (await m.db.dataSource.query(
    `SELECT count(DISTINCT series_instance_uid) FILTER (WHERE role = 'train') AS learned, count(DISTINCT series_instance_uid) AS corrected
       FROM learning_sample WHERE model_id = $1 AND role IN ('train', 'tried')`,
    [m.modelId],
  )) as { learned: number | string; corrected: number | string }[];
  return {
    seriesLearned: Number(counts[0]?.learned ?? 0),
    seriesCorrected: Number(counts[0]?.corrected ?? 0),
    rootGeneration: root.card.generation,
    baseGeneration: m.base.card.generation,
    heldOut: heldOut && { base: round(heldOut.base), candidate: round(heldOut.candidate) },
    reference: reference && { root: round(reference.root), base: round(reference.base), candidate: round(reference.candidate) },
    corrections: { root: round(corrections.root), base: round(corrections.base), candidate: round(corrections.candidate) },
    bwt: reference && round(reference.candidate - reference.base),
    bwtSinceRoot: reference && round(reference.candidate - reference.root),
    fwt: round(corrections.base - corrections.root),
  };
}
