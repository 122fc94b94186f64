import type { SetScores, SiteReport } from './proposal-store.js';

/**
 * The publication rule with site validation (docs/federation.md "Site validation"): a proposed step
 * is publishable when NO reporting site loses more than ε mean Dice on any of its sets (held-out,
 * benchmark) against the proposal's root, each site scoring both on its own slices (like with like:
 * the same data the site's pull gate and the issue's "no site loses > 0.005" use). Of the publishable
 * steps the first in the configured order wins (central.serverSteps, largest first). Pure: tested on
 * hand-made reports (central-site-rule.test.ts).
 */
export interface StepOutcome {
  step: number;
  publishable: boolean;
  /** The worst loss over every reporting site and set at this step (0 when nobody lost). */
  worst: { siteId: string; set: string; root: number; candidate: number; loss: number } | null;
}

export interface SiteVerdict {
  /** Index into the proposal's steps of the step to publish, or null. */
  chosen: number | null;
  steps: StepOutcome[];
  reason: string;
}

const f4 = (x: number) => x.toFixed(4);
const SETS = ['heldOut', 'benchmark'] as const;

/** A report fits a proposal when every set it has scores exactly the proposal's steps. */
export function reportFits(r: SiteReport, steps: number): boolean {
  const sets = SETS.map((k) => r[k]).filter((s): s is SetScores => s !== undefined);
  return sets.length > 0 && sets.every((s) => s.slices > 0 && Number.isFinite(s.root) && s.steps.length === steps && s.steps.every(Number.isFinite));
}

export function siteVerdict(steps: readonly number[], reports: ReadonlyMap<string, SiteReport>, epsilon: number): SiteVerdict {
  const outcomes: StepOutcome[] = steps.map((step, k) => {
    let worst: StepOutcome['worst'] = null;
    for (const [siteId, r] of reports) {
      for (const set of SETS) {
        const s = r[set];
        if (!s) continue;
        const loss = s.root - s.steps[k]!;
        if (!worst || loss > worst.loss) worst = { siteId, set, root: s.root, candidate: s.steps[k]!, loss };
      }
    }
    return { step, publishable: reports.size > 0 && (worst === null || worst.loss <= epsilon), worst };
  });
  const chosen = outcomes.findIndex((o) => o.publishable);
  const describe = (o: StepOutcome) =>
    `${o.step === 1 ? 'full step' : `server step ${o.step}`}: ${o.worst ? `worst ${o.worst.siteId} ${o.worst.set} ${f4(o.worst.root)} → ${f4(o.worst.candidate)} (${o.worst.loss > 0 ? '−' : '+'}${f4(Math.abs(o.worst.loss))})` : 'no scores'}${o.publishable ? '' : `, loses more than ε ${epsilon}`}`;
  const tried = outcomes.slice(0, chosen === -1 ? outcomes.length : chosen + 1).map(describe).join('; ');
  const who = [...reports.keys()].join(', ') || 'no site';
  return {
    chosen: chosen === -1 ? null : chosen,
    steps: outcomes,
    reason: reports.size === 0 ? 'no site reported a validation of the proposal' : `site validation by ${who}: ${tried}`,
  };
}
