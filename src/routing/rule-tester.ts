import type { Archive } from '../archive/archive.js';
import type { StudyPreview } from './dry-run-study.js';
import { dryRun, type DryRunSeries, type ModelCards } from './dry-run.js';
import type { ConditionResult, RuleResult } from './matcher.js';
import type { PlanPreview } from './model-plan.js';
import type { Rule } from './rule-types.js';

/** One rule against one stored series: does it match, which condition failed, what would happen. */
export interface RuleVerdict {
  ruleId: string;
  trigger: 'series' | 'study';
  enabled: boolean;
  priority: number;
  model: string;
  /** The tried draft (POST body `rule`), not a rule of the current set. */
  draft: boolean;
  matches: boolean;
  /** Each condition that failed, as the console's series list says it (`Plane is "coronal", wanted {"equals":"axial"}`). */
  failed: string[];
  /** runs | shadowed (another rule runs the same model) | no-match | disabled | excluded (never routed) | study (counts for a study rule). */
  outcome: 'runs' | 'shadowed' | 'no-match' | 'disabled' | 'excluded' | 'study';
  explanation: string;
  /** What the model would do with this series, when this rule would run on it. */
  plan: PlanPreview | null;
  study: StudyPreview | null;
}

export interface RuleTestResult {
  seriesInstanceUid: string;
  excluded: string | null;
  plane: DryRunSeries['plane'];
  geometry: DryRunSeries['geometry'];
  rules: RuleVerdict[];
}

const conditionText = (c: ConditionResult): string => `${c.attribute} is ${JSON.stringify(c.actual ?? null)}, wanted ${JSON.stringify(c.condition)}`;

function failedOf(d: RuleResult): string[] {
  const own = d.conditions.filter((c) => !c.ok).map(conditionText);
  // A study rule whose own conditions hold fails when the series is none of its required series.
  if (own.length || !d.required || d.required.some((r) => r.ok)) return own;
  return d.required.map((r) => `not required series ${r.name}: ${r.conditions.filter((c) => !c.ok).map(conditionText).join('; ')}`);
}

const planText = (p: PlanPreview): string => `plan ${p.action}: ${p.reason}`;

/**
 * The rule tester (issue 17 item 6): the dry-run (dry-run.ts, the one evaluation the node has) of
 * the current rule set, plus an optional draft rule, against one stored series, turned into one
 * verdict per rule. Undefined when the series is not stored.
 */
export async function testRules(deps: { archive: Archive; models: ModelCards; installed?: string[] }, rules: readonly Rule[], seriesUid: string, draft?: Rule): Promise<RuleTestResult | undefined> {
  const set = draft ? [...rules.filter((r) => r.id !== draft.id), draft] : [...rules];
  const r = await dryRun(deps, set, [seriesUid], draft?.id, true);
  const m = r.matches[0];
  if (!m) return undefined;
  const verdicts = set.map((rule): RuleVerdict => {
    const d = m.details.find((x) => x.ruleId === rule.id)!;
    const base = { ruleId: rule.id, trigger: rule.trigger, enabled: rule.enabled, priority: rule.priority, model: rule.model, draft: rule === draft, matches: d.matched, failed: failedOf(d), plan: null, study: null };
    if (!rule.enabled) return { ...base, failed: [], outcome: 'disabled', explanation: 'disabled: kept, never evaluated' };
    if (!d.matched) return { ...base, outcome: 'no-match', explanation: `does not match: ${base.failed.join('; ')}` };
    if (m.excluded) return { ...base, outcome: 'excluded', explanation: `matches, but this series is never routed (${m.excluded})` };
    const study = m.study.find((s) => s.ruleId === rule.id);
    if (study) {
      const { plan, ...preview } = study;
      const wait = study.wait ? `; the node's wait for this study: ${study.wait.state}${study.wait.reason ? ` (${study.wait.reason})` : ''}` : '';
      return { ...base, outcome: 'study', plan, study: preview, explanation: `counts as ${study.roles.join(', ')} for the study; ${study.text}${plan ? `; on this series: ${planText(plan)}` : ''}${wait}` };
    }
    const run = m.wouldRun.find((w) => w.ruleId === rule.id);
    if (run) return { ...base, outcome: 'runs', plan: run.plan, explanation: `would run model "${run.model}"${run.destinations.length ? ` and deliver to ${run.destinations.join(', ')}` : ''}; ${planText(run.plan)}` };
    const winner = m.wouldRun.find((w) => w.model === rule.model);
    return { ...base, outcome: 'shadowed', explanation: `matches, but rule "${winner?.ruleId}" runs model "${rule.model}" for this series (higher priority, or earlier in the set at equal priority)` };
  });
  return { seriesInstanceUid: m.seriesInstanceUid, excluded: m.excluded, plane: m.plane, geometry: m.geometry, rules: verdicts };
}
