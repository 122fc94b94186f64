/**
 * The learning runs' continual-learning metrics as the console shows them (GET /api/v1/learning/runs,
 * `metrics` from src/learning/learning-metrics.ts): the points of a model's transfer curve, in run
 * order, one per run that reached the gate.
 */
export interface TransferMetrics {
  seriesLearned: number;
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

export interface LearningRun {
  id: string;
  modelId: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  reason: string | null;
  slices: number | null;
  baseGeneration: number | null;
  candidateGeneration: number | null;
  gate: { accepted?: boolean; reasons?: string[] } | null;
  metrics: TransferMetrics | null;
  progress: number | null;
}

export interface TransferPoint {
  run: LearningRun & { metrics: TransferMetrics };
  /** 1-based, among the model's runs that reached the gate. */
  n: number;
  /** Corrected series the model had learned from after the run (x). */
  x: number;
  /** Whether the gate accepted the run's candidate. */
  accepted: boolean;
  /** Held-out Dice on the site's series of the model the site keeps after the run: the candidate if accepted, else the base. */
  site: number | null;
  /** The same model's Dice on its own reference data (the skill it was installed with). */
  original: number | null;
}

const accepted = (r: LearningRun): boolean => (r.gate?.accepted ?? r.status === 'done') && r.status !== 'rejected';

/** Oldest run first (the API lists newest first). */
export function inRunOrder(runs: LearningRun[]): LearningRun[] {
  return [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || Number(a.id) - Number(b.id));
}

export function transferPoints(runs: LearningRun[]): TransferPoint[] {
  return inRunOrder(runs)
    .filter((r): r is LearningRun & { metrics: TransferMetrics } => r.metrics !== null && r.metrics !== undefined)
    .map((run, i) => {
      const ok = accepted(run);
      const m = run.metrics;
      return {
        run,
        n: i + 1,
        x: m.seriesLearned,
        accepted: ok,
        site: m.heldOut ? (ok ? m.heldOut.candidate : m.heldOut.base) : null,
        original: m.reference ? (ok ? m.reference.candidate : m.reference.base) : null,
      };
    });
}

/** A signed metric with its sign always shown (+0.0123, −0.0040), or — when not measured. */
export const fmtSigned = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(digits)}`;
