import type { Archive } from '../archive/archive.js';
import type { ModelCard } from '../inference/model-card.js';
import { studyPreviews, type StudyPreview } from './dry-run-study.js';
import { evaluateRules, type RuleResult } from './matcher.js';
import { planeSummary, previewPlan, type PlanPreview, type PlaneSummary } from './model-plan.js';
import { exclusionOf, selectRuns } from './route-series.js';
import { modelNotInstalled, type RuleIssue } from './rule-references.js';
import { isStudyRule, type Rule } from './rule-types.js';
import { estimateSeriesGeometry } from './series-geometry.js';
import { loadSeriesSnapshot } from './series-snapshot.js';

export interface DryRunSeries {
  seriesInstanceUid: string;
  /** Why the series would never be routed (our own result, not an image), if so. */
  excluded: string | null;
  /** Acquisition plane from Image Orientation (Patient); null without a usable one. */
  plane: PlaneSummary | null;
  /** The grid the plans were made on (estimated from two headers), null when it cannot be placed. */
  geometry: { slices: number; spacing: [number, number, number] } | null;
  matchedRules: string[];
  /** Rules that would run (per model the highest priority), each with what its model would do. */
  wouldRun: { ruleId: string; model: string; destinations: string[]; plan: PlanPreview }[];
  /** Study rules this series counts for: the study's required series, what is missing, what would happen; `plan` when this series is the input. */
  study: (StudyPreview & { plan: PlanPreview | null })[];
  details: RuleResult[];
}

/** The active model cards (ModelRegistry.activeCard): undefined for a model not installed. */
export interface ModelCards {
  activeCard(modelId: string): Promise<ModelCard | undefined>;
}

export interface Conflict {
  rules: [string, string];
  series: string[];
  sameModel: boolean;
  resolution: string;
}

export interface DryRunResult {
  evaluated: number;
  matches: DryRunSeries[];
  conflicts: Conflict[];
  /** What saving these rules would refuse (an uninstalled model, an unknown destination or label); set by the API. */
  issues?: RuleIssue[];
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Evaluates a rule set against stored series without routing anything. Two enabled rules that
 * both match one series overlap: for the same model only the higher priority runs (the other is
 * shadowed), for different models both run; both cases are reported so an admin sees them.
 * Each series it reports also gets its plane and, per model that would run, the plan inference
 * would follow (direct / reformat / skip and why, issue 14), from two headers per series.
 */
export async function dryRun(deps: { archive: Archive; models: ModelCards; installed?: string[] }, rules: readonly Rule[], seriesUids: readonly string[], focus?: string, reportAll = !!focus): Promise<DryRunResult> {
  const { archive } = deps;
  const matches: DryRunSeries[] = [];
  const overlaps = new Map<string, { a: Rule; b: Rule; series: string[] }>();
  const cards = new Map<string, Promise<ModelCard | string>>();
  // One registry look-up per model and dry-run; a model that is missing or unreadable is a plan line.
  const cardOf = (id: string): Promise<ModelCard | string> => {
    let c = cards.get(id);
    if (!c) {
      c = deps.models.activeCard(id).then(
        (card) => card ?? modelNotInstalled(id, deps.installed ?? []),
        (err: unknown) => `model "${id}" cannot be read: ${(err as Error).message}`,
      );
      cards.set(id, c);
    }
    return c;
  };
  for (const uid of seriesUids) {
    const snap = await loadSeriesSnapshot(archive, uid);
    if (!snap) continue;
    const excluded = (await exclusionOf(archive.db, snap)) ?? null;
    const { results, matched } = evaluateRules(rules, snap.attributes);
    const runs = excluded ? [] : selectRuns(matched);
    const reported = matched.length > 0 || reportAll;
    // Headers are read only for series the answer shows.
    const estimate = reported ? await estimateSeriesGeometry(archive, snap.seriesFk) : { plane: null, geometry: null, reason: 'not reported' };
    const g = estimate.geometry;
    const wouldRun: DryRunSeries['wouldRun'] = [];
    for (const r of runs) wouldRun.push({ ruleId: r.id, model: r.model, destinations: r.destinations.map((d) => d.name), plan: previewPlan(r.model, await cardOf(r.model), estimate) });
    const study: DryRunSeries['study'] = [];
    for (const p of excluded || !reported ? [] : await studyPreviews(archive.db, rules, snap, results, focus)) {
      const rule = rules.find((r) => r.id === p.ruleId)!;
      study.push({ ...p, plan: p.roles.includes(p.state.input) ? previewPlan(rule.model, await cardOf(rule.model), estimate) : null });
    }
    matches.push({
      seriesInstanceUid: uid,
      excluded,
      plane: planeSummary(estimate.plane),
      geometry: g ? { slices: g.slices, spacing: [r2(g.spacing[0]), r2(g.spacing[1]), r2(g.spacing[2])] } : null,
      matchedRules: matched.map((r) => r.id),
      wouldRun,
      study,
      details: results,
    });
    // Overlaps are between series rules: a study rule runs through its study's wait, beside them.
    const seriesMatched = matched.filter((r) => !isStudyRule(r));
    for (let i = 0; i < seriesMatched.length; i++) {
      for (let j = i + 1; j < seriesMatched.length; j++) {
        const [a, b] = [seriesMatched[i]!, seriesMatched[j]!];
        if (focus && a.id !== focus && b.id !== focus) continue;
        const key = [a.id, b.id].sort().join('\0');
        const o = overlaps.get(key) ?? { a, b, series: [] };
        o.series.push(uid);
        overlaps.set(key, o);
      }
    }
  }
  const conflicts = [...overlaps.values()].map(({ a, b, series }) => {
    const sameModel = a.model === b.model;
    const [hi, lo] = a.priority >= b.priority ? [a, b] : [b, a];
    const resolution = sameModel
      ? a.priority === b.priority
        ? `same model "${a.model}" and equal priority: only "${hi.id}" runs (first in the rule set); give one a higher priority`
        : `same model "${a.model}": only "${hi.id}" (priority ${hi.priority}) runs; "${lo.id}" is shadowed`
      : `different models: both run`;
    return { rules: [a.id, b.id] as [string, string], series, sameModel, resolution };
  });
  return { evaluated: matches.length, matches: matches.filter((m) => m.matchedRules.length > 0 || reportAll), conflicts };
}

/** The series a dry-run looks at by default: the most recently stored ones. */
export async function recentSeries(archive: Archive, limit: number): Promise<string[]> {
  const rows = (await archive.db.dataSource.query('SELECT series_instance_uid AS uid FROM series ORDER BY last_instance_at DESC LIMIT $1', [limit])) as { uid: string }[];
  return rows.map((r) => r.uid);
}
