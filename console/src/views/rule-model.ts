/**
 * The shapes of the rules API as the console reads them (src/routing/rule-types.ts, dry-run.ts,
 * rule-tester.ts, study-waits.ts hold the originals; the console does not bundle zod).
 */
export interface StudyTrigger {
  requiredSeries: { name: string; when: Record<string, unknown> }[];
  input?: string;
  timeoutSeconds: number;
  onTimeout: 'skip' | 'run';
}
export interface Rule {
  id: string;
  name?: string;
  enabled: boolean;
  priority: number;
  quietSeconds?: number;
  trigger?: 'series' | 'study';
  when: Record<string, unknown>;
  study?: StudyTrigger;
  model: string;
  destinations: { name: string; seg?: Record<string, unknown> }[];
  review: 'immediate' | 'after-review';
}
export interface RuleSet {
  version: number;
  rules: Rule[];
  actor: string;
  action: string;
  createdAt: string;
}
/** What a model would do with the series (src/routing/model-plan.ts PlanPreview). */
export interface Plan {
  action: 'direct' | 'reformat' | 'skip' | 'model-not-installed' | 'no-geometry';
  reason: string;
}
export interface RuleIssue {
  rule: string;
  path: string;
  message: string;
}
export interface DryRun {
  evaluated: number;
  matches: {
    seriesInstanceUid: string;
    excluded: string | null;
    plane: { plane: string; text: string } | null;
    matchedRules: string[];
    wouldRun: { ruleId: string; model: string; destinations: string[]; plan: Plan }[];
    study?: { ruleId: string; roles: string[]; text: string; plan: Plan | null }[];
  }[];
  conflicts: { rules: [string, string]; series: string[]; sameModel: boolean; resolution: string }[];
  /** What saving would refuse (a model not installed, an unknown destination or label): docs/routing.md. */
  issues?: RuleIssue[];
}
export interface RuleVerdict {
  ruleId: string;
  trigger: 'series' | 'study';
  enabled: boolean;
  priority: number;
  model: string;
  draft: boolean;
  matches: boolean;
  failed: string[];
  outcome: 'runs' | 'shadowed' | 'no-match' | 'disabled' | 'excluded' | 'study';
  explanation: string;
  plan: Plan | null;
}
export interface RuleTest {
  seriesInstanceUid: string;
  excluded: string | null;
  plane: { plane: string; text: string } | null;
  geometry: { slices: number; spacing: [number, number, number] } | null;
  rules: RuleVerdict[];
  issues: RuleIssue[];
}
export interface StudyWait {
  id: string;
  ruleId: string;
  studyInstanceUid: string;
  state: 'waiting' | 'fired' | 'timed-out' | 'cancelled' | 'model-not-installed';
  openedAt: string;
  deadline: string;
  required: { name: string; seriesInstanceUid: string | null }[];
  missing: string[];
  jobId: string | null;
  reason: string | null;
}

/** A condition as an admin reads it: `Modality = "MR"`, `SeriesDescription ~ "*leg*"`, else its JSON. */
function conditionText(k: string, v: unknown): string {
  if (typeof v !== 'object' || v === null) return `${k} = ${JSON.stringify(v)}`;
  const c = v as Record<string, unknown>;
  const keys = Object.keys(c).filter((x) => x !== 'ignoreCase');
  if (keys.length === 1 && keys[0] === 'equals') return `${k} = ${JSON.stringify(c.equals)}`;
  if (keys.length === 1 && keys[0] === 'wildcard') return `${k} ~ ${JSON.stringify(c.wildcard)}`;
  return `${k} ${JSON.stringify(v)}`;
}

export const whenText = (w: Record<string, unknown>): string => Object.entries(w).map(([k, v]) => conditionText(k, v)).join(' ∧ ') || '(every series)';

/** A study rule's trigger in one line: `study: t1 (SeriesDescription ~ "*t1*") + dixon (…); input t1; 3600 s, then skip`. */
export const studyText = (s: StudyTrigger): string =>
  `study: ${s.requiredSeries.map((r) => `${r.name} (${whenText(r.when)})`).join(' + ')}; input ${s.input ?? s.requiredSeries[0]?.name}; ${s.timeoutSeconds} s, then ${s.onTimeout}`;
