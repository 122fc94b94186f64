import type { Database } from '../db/data-source.js';
import type { GenerationInfo, ModelRegistry } from '../inference/model-registry.js';

/**
 * How the API shows a model's generations (contract: GET /api/v1/models/:id/generations): the
 * registry's lineage plus a state derived from the activation history, the promotion policy and the
 * gate's stored scores. Nothing here is stored twice: a state is computed from facts, so it cannot
 * drift from them.
 *
 * - active: the current generation;
 * - retired: was active once and is no longer, or a candidate passed over (an older generation
 *   became active after it was made... or a newer one was promoted over it);
 * - candidate: accepted by the gate, newer than the active one, never active (manual policy; also
 *   older pending candidates under shadow);
 * - shadow: under the shadow policy, the newest such candidate (the one that runs beside the active model);
 * - rejected: kept for the contract (the gate's rejected candidates are not registered; their
 *   scores are in the learning run).
 */
export type Policy = 'auto' | 'shadow' | 'manual';
export type GenerationState = 'active' | 'candidate' | 'shadow' | 'retired' | 'rejected';

export interface Scores {
  heldOut: number | null;
  benchmark: number | null;
  corrections: number | null;
  perLabel?: Record<string, number>;
}

export interface Agreement {
  /** Series compared so far, and the mean Dice between the active and the shadow label volumes. */
  series: number;
  meanDice: number | null;
  perLabel: Record<string, number>;
}

export interface GenerationView {
  generation: number;
  sha256: string;
  parentSha256: string | null;
  origin: ReturnType<typeof originKind>;
  createdAt: string;
  active: boolean;
  state: GenerationState;
  scores: Scores;
  gate: { accepted: boolean; reasons: string[] } | null;
  /** Shadow agreement with the active model (only for generations that ran in shadow). */
  agreement?: Agreement;
}

interface ScoreRow {
  generation: number | string;
  held_out: number | null;
  benchmark: number | null;
  corrections: number | null;
  per_label: Record<string, number> | string | null;
  gate: { accepted: boolean; reasons: string[] } | string | null;
}

/**
 * The card's free-text training origin as the contract's four kinds: our own fine-tunes, central
 * generations (the federation client writes `central-merge`), the shipped demo model (`built-in`),
 * and everything an operator imported.
 */
export function originKind(origin: string): 'import' | 'demo' | 'local-fine-tune' | 'central' {
  if (origin === 'local-fine-tune') return origin;
  if (origin.startsWith('central')) return 'central';
  if (origin === 'built-in' || origin === 'demo') return 'demo';
  return 'import';
}

const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const num = (v: number | string | null): number | null => (v === null || v === undefined ? null : Number(v));

/** Generations that were active at some time (activation history). */
export async function everActive(db: Database, modelId: string): Promise<Set<number>> {
  const rows = (await db.dataSource.query(
    'SELECT DISTINCT g.generation FROM model_activation a JOIN model_generation g ON g.id = a.generation_id WHERE a.model_id = $1',
    [modelId],
  )) as { generation: number | string }[];
  return new Set(rows.map((r) => Number(r.generation)));
}

/** The candidates waiting for promotion: never active and newer than the active generation, oldest first. */
export function pendingCandidates(gens: readonly GenerationInfo[], wasActive: Set<number>): GenerationInfo[] {
  const active = gens.find((g) => g.active);
  return gens.filter((g) => !g.active && !wasActive.has(g.generation) && (!active || g.generation > active.generation));
}

export function stateOf(g: GenerationInfo, gens: readonly GenerationInfo[], wasActive: Set<number>, policy: Policy): GenerationState {
  if (g.active) return 'active';
  const pending = pendingCandidates(gens, wasActive);
  if (!pending.some((p) => p.generation === g.generation)) return 'retired';
  return policy === 'shadow' && pending[pending.length - 1]!.generation === g.generation ? 'shadow' : 'candidate';
}

export async function agreement(db: Database, modelId: string, generation: number): Promise<Agreement | undefined> {
  const rows = (await db.dataSource.query('SELECT mean_dice, per_label FROM shadow_comparison WHERE model_id = $1 AND shadow_generation = $2', [modelId, generation])) as {
    mean_dice: number | null;
    per_label: Record<string, number> | string;
  }[];
  if (rows.length === 0) return undefined;
  const means = rows.map((r) => num(r.mean_dice)).filter((v): v is number => v !== null && Number.isFinite(v));
  const sums = new Map<string, { s: number; n: number }>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(json(r.per_label) ?? {})) {
      const e = sums.get(k) ?? { s: 0, n: 0 };
      e.s += v;
      e.n++;
      sums.set(k, e);
    }
  }
  return {
    series: rows.length,
    meanDice: means.length ? means.reduce((a, b) => a + b, 0) / means.length : null,
    perLabel: Object.fromEntries([...sums].map(([k, e]) => [k, e.s / e.n])),
  };
}

export async function generationViews(db: Database, registry: ModelRegistry, modelId: string, policy: Policy): Promise<GenerationView[]> {
  const gens = await registry.generations(modelId);
  const wasActive = await everActive(db, modelId);
  const scores = new Map(
    ((await db.dataSource.query('SELECT generation, held_out, benchmark, corrections, per_label, gate FROM generation_score WHERE model_id = $1', [modelId])) as ScoreRow[]).map((r) => [Number(r.generation), r]),
  );
  const out: GenerationView[] = [];
  for (const g of gens) {
    const s = scores.get(g.generation);
    const perLabel = s ? json(s.per_label) : null;
    const view: GenerationView = {
      generation: g.generation,
      sha256: g.sha256,
      parentSha256: g.parentSha256,
      origin: originKind(g.origin),
      createdAt: g.createdAt.toISOString(),
      active: g.active,
      state: stateOf(g, gens, wasActive, policy),
      scores: { heldOut: num(s?.held_out ?? null), benchmark: num(s?.benchmark ?? null), corrections: num(s?.corrections ?? null), ...(perLabel ? { perLabel } : {}) },
      gate: s ? json(s.gate) : null,
    };
    const a = await agreement(db, modelId, g.generation);
    if (a) view.agreement = a;
    out.push(view);
  }
  return out;
}
