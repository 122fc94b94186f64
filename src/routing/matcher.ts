import { isStudyRule, type Condition, type Rule, type RoutingAttribute, type SeriesAttributes } from './rule-types.js';

/** Why one condition held or not: what the evaluation record and the dry-run show. */
export interface ConditionResult {
  attribute: RoutingAttribute;
  condition: Condition;
  actual: SeriesAttributes[RoutingAttribute];
  ok: boolean;
}

export interface RuleResult {
  ruleId: string;
  matched: boolean;
  enabled: boolean;
  priority: number;
  /** Absent in evaluations recorded before study rules existed: `series`. */
  trigger?: 'series' | 'study';
  conditions: ConditionResult[];
  /** A study rule: per required series, whether this series would be it (and which condition failed). */
  required?: { name: string; ok: boolean; conditions: ConditionResult[] }[];
}

/** Wildcard per PS3.18 §8.3.4.6 style: `*` any run, `?` one character. */
function wildcardRegex(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

const values = (v: SeriesAttributes[RoutingAttribute]): (string | number)[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((x) => x !== '');

const textEq = (a: string | number, b: string | number, ic: boolean): boolean => {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return ic ? a.toLowerCase() === b.toLowerCase() : a === b;
};

/**
 * One condition against one attribute. Multi-valued attributes (ImageType, PixelSpacing; PS3.5
 * §6.4 value multiplicity): equals / in / wildcard / regex hold when any value matches, or when the
 * whole value joined with `\` matches (so `ImageType: { wildcard: "ORIGINAL\\PRIMARY*" }` works);
 * range holds when every value lies in it. `present: false` holds for absent or empty values.
 */
export function evaluateCondition(c: Condition, actual: SeriesAttributes[RoutingAttribute]): boolean {
  const vs = values(actual);
  const ic = c.ignoreCase ?? true;
  if (c.present !== undefined) return c.present === vs.length > 0;
  if (vs.length === 0) return false;
  const joined = vs.map(String).join('\\');
  if (c.equals !== undefined) return vs.some((v) => textEq(v, c.equals!, ic)) || textEq(joined, c.equals, ic);
  if (c.in !== undefined) return vs.some((v) => c.in!.some((x) => textEq(v, x, ic)));
  if (c.wildcard !== undefined) {
    const re = wildcardRegex(c.wildcard, ic);
    return vs.some((v) => re.test(String(v))) || re.test(joined);
  }
  if (c.regex !== undefined) {
    const re = new RegExp(c.regex, ic ? 'i' : '');
    return vs.some((v) => re.test(String(v))) || re.test(joined);
  }
  if (c.range !== undefined) {
    const { min, max } = c.range;
    return vs.every((v) => {
      const n = Number(v);
      return Number.isFinite(n) && (min === undefined || n >= min) && (max === undefined || n <= max);
    });
  }
  return false;
}

/** Every condition of a `when` against a series' attributes. */
export function evaluateWhen(when: Rule['when'], attrs: SeriesAttributes): ConditionResult[] {
  return (Object.entries(when) as [RoutingAttribute, Condition][]).map(([attribute, condition]) => {
    const actual = attrs[attribute] ?? null;
    return { attribute, condition, actual, ok: evaluateCondition(condition, actual) };
  });
}

const allOk = (cs: readonly ConditionResult[]): boolean => cs.every((c) => c.ok);

/**
 * A rule against a series: every condition must hold (a rule without conditions matches all). A
 * study rule matches a series that also meets one of its required series' conditions: the series
 * then counts for the study (study-requirements.ts), it never gets a job of its own.
 */
export function evaluateRule(rule: Rule, attrs: SeriesAttributes): RuleResult {
  const conditions = evaluateWhen(rule.when, attrs);
  const base = { ruleId: rule.id, enabled: rule.enabled, priority: rule.priority, trigger: rule.trigger, conditions };
  if (!isStudyRule(rule)) return { ...base, matched: rule.enabled && allOk(conditions) };
  const required = rule.study.requiredSeries.map((rs) => {
    const cs = evaluateWhen(rs.when, attrs);
    return { name: rs.name, ok: allOk(cs), conditions: cs };
  });
  return { ...base, required, matched: rule.enabled && allOk(conditions) && required.some((r) => r.ok) };
}

export interface RuleSetResult {
  results: RuleResult[];
  /** Matching rules, highest priority first (ties: rule order); study rules included (route-series.ts selectRuns leaves them out). */
  matched: Rule[];
}

export function evaluateRules(rules: readonly Rule[], attrs: SeriesAttributes): RuleSetResult {
  const results = rules.map((r) => evaluateRule(r, attrs));
  const matched = rules.filter((_, i) => results[i]!.matched).map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.i - b.i).map(({ r }) => r);
  return { results, matched };
}
