import type { ModelCard } from '../inference/model-card.js';
import type { Rule } from './rule-types.js';

/**
 * What a rule refers to outside itself: the model (installed in the registry, with an active
 * generation) and the destinations (configured by name), plus the label names its per-destination
 * SEG options select. The schema cannot check these: they depend on the node's state at the moment
 * the rule is written, so they are checked then (API, console, rules file) and again, without
 * refusing anything, when a series is routed (route-series.ts) and in the dry-run (issue 17 item 2).
 */
export interface References {
  /** Installed models by id: the active generation's card (its labels are checked). */
  models: ReadonlyMap<string, ModelCard>;
  /** Names of configured destinations. */
  destinations: ReadonlySet<string>;
}

/** One problem of one rule: `path` is the field as an admin wrote it, e.g. `rules[2].model`. */
export interface RuleIssue {
  rule: string;
  path: string;
  message: string;
}

const list = (xs: Iterable<string>, none: string): string => {
  const a = [...xs].sort();
  return a.length ? a.join(', ') : none;
};

export const modelNotInstalled = (model: string, installed: Iterable<string>): string => `model "${model}" is not installed (installed: ${list(installed, 'none')})`;

/** Segment labels a model can produce: its label names, and `<name>_R` / `<name>_L` when it splits laterality (labels.ts). */
function labelNames(card: ModelCard): Set<string> {
  return new Set(card.labels.flatMap((l) => [l.name, `${l.name}_R`, `${l.name}_L`].map((n) => n.toLowerCase())));
}

/**
 * The reference problems of `rules` (every rule, enabled or not: enabling a rule in the console
 * must not be the moment an admin learns its model is missing). `prefix(i)` names rule i in paths:
 * `rules[i]` for a rule set, `''` for a single rule sent alone.
 */
export function referenceIssues(rules: readonly Rule[], refs: References, prefix: (i: number) => string = (i) => `rules[${i}]`): RuleIssue[] {
  const issues: RuleIssue[] = [];
  rules.forEach((r, i) => {
    const at = (field: string): string => (prefix(i) ? `${prefix(i)}.${field}` : field);
    const card = refs.models.get(r.model);
    if (!card) issues.push({ rule: r.id, path: at('model'), message: modelNotInstalled(r.model, refs.models.keys()) });
    r.destinations.forEach((d, j) => {
      if (!refs.destinations.has(d.name)) {
        issues.push({ rule: r.id, path: at(`destinations[${j}]`), message: `destination "${d.name}" is not configured (configured: ${list(refs.destinations, 'none')})` });
      }
      if (!card || !d.seg.labels) return;
      const names = labelNames(card);
      d.seg.labels.forEach((l, k) => {
        // seg-variants.ts keeps segments by case-insensitive name: a name no segment has selects nothing.
        if (!names.has(l.toLowerCase())) {
          issues.push({ rule: r.id, path: at(`destinations[${j}].seg.labels[${k}]`), message: `label "${l}" is not a label of model "${r.model}" (labels: ${card.labels.map((x) => x.name).join(', ')})` });
        }
      });
    });
  });
  return issues;
}

/** `path: message; …` as one line (the HTTP 400 message, the log line, the start-up error). */
export const issuesText = (issues: readonly RuleIssue[]): string => issues.map((x) => `${x.path}: ${x.message}`).join('; ');

/** The node's current references: models with an active generation, and the destinations table. */
export async function loadReferences(deps: {
  models: { list(): Promise<{ id: string; active: unknown }[]>; activeCard(id: string): Promise<ModelCard | undefined> };
  destinations: { list(): Promise<{ name: string }[]> };
}): Promise<References> {
  const models = new Map<string, ModelCard>();
  for (const m of await deps.models.list()) {
    if (!m.active) continue;
    const card = await deps.models.activeCard(m.id);
    if (card) models.set(m.id, card);
  }
  return { models, destinations: new Set((await deps.destinations.list()).map((d) => d.name)) };
}
