import type { Condition, Rule, RoutingAttribute, SeriesAttributes } from './rule-types.js';

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
  conditions: ConditionResult[];
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

/** A rule against a series: every condition must hold (a rule without conditions matches all). */
export function evaluateRule(rule: Rule, attrs: SeriesAttributes): RuleResult {
  const conditions = (Object.entries(rule.when) as [RoutingAttribute, Condition][]).map(([attribute, condition]) => {
    const actual = attrs[attribute] ?? null;
    return { attribute, condition, actual, ok: evaluateCondition(condition, actual) };
  });
  return { ruleId: rule.id, enabled: rule.enabled, priority: rule.priority, matched: rule.enabled && conditions.every((c) => c.ok), conditions };
}

export interface RuleSetResult {
  results: RuleResult[];
  /** Matching rules, highest priority first (ties: rule order). */
  matched: Rule[];
}

export function evaluateRules(rules: readonly Rule[], attrs: SeriesAttributes): RuleSetResult {
  const results = rules.map((r) => evaluateRule(r, attrs));
  const matched = rules.filter((_, i) => results[i]!.matched).map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.i - b.i).map(({ r }) => r);
  return { results, matched };
}
