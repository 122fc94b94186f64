import type { Archive } from '../archive/archive.js';
import { evaluateRules, type RuleResult } from './matcher.js';
import { exclusionOf, selectRuns } from './route-series.js';
import type { Rule } from './rule-types.js';
import { loadSeriesSnapshot } from './series-snapshot.js';

export interface DryRunSeries {
  seriesInstanceUid: string;
  /** Why the series would never be routed (our own result, not an image), if so. */
  excluded: string | null;
  matchedRules: string[];
  /** Rules that would run (per model the highest priority). */
  wouldRun: { ruleId: string; model: string; destinations: string[] }[];
  details: RuleResult[];
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
}

/**
 * Evaluates a rule set against stored series without routing anything. Two enabled rules that
 * both match one series overlap: for the same model only the higher priority runs (the other is
 * shadowed), for different models both run; both cases are reported so an admin sees them.
 */
export async function dryRun(archive: Archive, rules: readonly Rule[], seriesUids: readonly string[], focus?: string): Promise<DryRunResult> {
  const matches: DryRunSeries[] = [];
  const overlaps = new Map<string, { a: Rule; b: Rule; series: string[] }>();
  for (const uid of seriesUids) {
    const snap = await loadSeriesSnapshot(archive, uid);
    if (!snap) continue;
    const excluded = (await exclusionOf(archive.db, snap)) ?? null;
    const { results, matched } = evaluateRules(rules, snap.attributes);
    const runs = excluded ? [] : selectRuns(matched);
    matches.push({
      seriesInstanceUid: uid,
      excluded,
      matchedRules: matched.map((r) => r.id),
      wouldRun: runs.map((r) => ({ ruleId: r.id, model: r.model, destinations: r.destinations.map((d) => d.name) })),
      details: results,
    });
    for (let i = 0; i < matched.length; i++) {
      for (let j = i + 1; j < matched.length; j++) {
        const [a, b] = [matched[i]!, matched[j]!];
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
  return { evaluated: matches.length, matches: matches.filter((m) => m.matchedRules.length > 0 || !!focus), conflicts };
}

/** The series a dry-run looks at by default: the most recently stored ones. */
export async function recentSeries(archive: Archive, limit: number): Promise<string[]> {
  const rows = (await archive.db.dataSource.query('SELECT series_instance_uid AS uid FROM series ORDER BY last_instance_at DESC LIMIT $1', [limit])) as { uid: string }[];
  return rows.map((r) => r.uid);
}
