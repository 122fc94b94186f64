/** One point of the learning curve: after `corrected` series corrected through the review path. */
export interface StepResult {
  set: number;
  corrected: number;
  run: { id: string; status: string; reason: string | null; gate: string[]; metrics: unknown; candidateGeneration: number | null } | null;
  /** The generation that segmented the evaluation series. */
  generation: number;
  heldOut: { meanLabel: number[]; muscle: number[] };
  original: { meanLabel: number[]; muscle: number[] };
  seconds: number;
}

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a: number[]): number => (a.length < 2 ? 0 : Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1)));
const pm = (a: number[]): string => `${mean(a).toFixed(3)} ± ${sd(a).toFixed(3)}`;
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;

/**
 * The curve as a Markdown table: per step, over seed sets, the mean ± sd of each set's mean over its
 * evaluation series (per-muscle Dice), the gain and the original style's change against step 0,
 * with the gate's decisions.
 */
export function summarise(rs: StepResult[]): string {
  const sets = [...new Set(rs.map((r) => r.set))];
  const steps = [...new Set(rs.map((r) => r.corrected))].sort((a, b) => a - b);
  const at = (set: number, step: number): StepResult | undefined => rs.find((r) => r.set === set && r.corrected === step);
  const lines = [
    '| corrected series | held-out new style, per-muscle Dice | gain vs 0 (min … max over sets) | binary muscle Dice | original style, per-muscle Dice | change vs 0 (worst set) | gate (per set) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const step of steps) {
    const here = sets.map((s) => at(s, step)).filter((r): r is StepResult => !!r);
    const zero = sets.map((s) => at(s, 0)!);
    const held = here.map((r) => mean(r.heldOut.meanLabel));
    const gains = here.map((r, i) => mean(r.heldOut.meanLabel) - mean(zero[i]!.heldOut.meanLabel));
    const orig = here.map((r) => mean(r.original.meanLabel));
    const loss = here.map((r, i) => mean(r.original.meanLabel) - mean(zero[i]!.original.meanLabel));
    const gate = here.map((r) => (r.run ? r.run.status : '—')).join(', ');
    lines.push(`| ${step} | ${pm(held)} | ${step ? `${signed(mean(gains))} (${signed(Math.min(...gains))} … ${signed(Math.max(...gains))})` : '—'} | ${pm(here.map((r) => mean(r.heldOut.muscle)))} | ${pm(orig)} | ${step ? `${signed(mean(loss))} (${signed(Math.min(...loss))})` : '—'} | ${gate} |`);
  }
  return lines.join('\n');
}
