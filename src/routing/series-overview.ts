import type { Archive } from '../archive/archive.js';
import type { RuleResult } from './matcher.js';

export interface SeriesOverview {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  modality: string | null;
  seriesDescription: string | null;
  instances: number;
  lastInstanceAt: string;
  /** Waiting for the quiet period, or stable since. */
  stableAt: string | null;
  /** The latest routing evaluation: which rules matched, or why none did. */
  routing: { outcome: string; matchedRules: string[]; rulesetVersion: number | null; reasons: string[]; at: string } | null;
  /** `outcome` 'skipped' (no SEG) comes with its `reason`, e.g. "skipped: plane coronal, ...". */
  results: { id: string; modelId: string; generation: number; ruleId: string | null; status: string; outcome: string; reason: string | null; createdAt: string; deliveries: Record<string, number> }[];
}

interface Row {
  series_instance_uid: string;
  study_instance_uid: string;
  modality: string | null;
  series_description: string | null;
  instances: number;
  last_instance_at: Date | string;
  stable_at: Date | string | null;
  outcome: string | null;
  matched_rules: string[] | null;
  ruleset_version: number | null;
  details: RuleResult[] | null;
  jobs: { ruleId?: string; reason?: string }[] | null;
  evaluated_at: Date | string | null;
}

/** Why no rule matched: each rule's failing conditions (or that it is disabled), from the evaluation details. */
function reasonsOf(details: Row['details']): string[] {
  if (!Array.isArray(details)) return [];
  return details
    .filter((d) => d && !d.matched)
    .slice(0, 10)
    .map((d) => {
      if (!d.enabled) return `${d.ruleId}: disabled`;
      const failed = (d.conditions ?? []).filter((c) => !c.ok).map((c) => `${c.attribute} is ${JSON.stringify(c.actual ?? null)}, wanted ${JSON.stringify(c.condition)}`);
      return `${d.ruleId}: ${failed.join('; ') || 'no match'}`;
    });
}

/** Rules that matched but made no job, and why (a model that is not installed). */
const jobReasons = (jobs: Row['jobs']): string[] => (Array.isArray(jobs) ? jobs.filter((j) => j?.reason).map((j) => `${j.ruleId}: ${j.reason}`) : []);

/**
 * Recent series (GET /api/v1/series), newest first: what arrived, whether it is stable, the rule
 * that matched it (or why none did), its AI results with review status and delivery status.
 * Derived SEG series made by the node are included (their outcome says `own-result`).
 */
export async function seriesOverview(archive: Archive, opts: { limit?: number; study?: string } = {}): Promise<SeriesOverview[]> {
  const params: unknown[] = [Math.min(Math.max(opts.limit ?? 50, 1), 500)];
  const where = opts.study ? `WHERE st.study_instance_uid = $${params.push(opts.study)}` : '';
  const rows = (await archive.db.dataSource.query(
    `SELECT s.series_instance_uid, st.study_instance_uid, s.modality, s.series_description, s.last_instance_at,
            (SELECT count(*)::int FROM instance i WHERE i.series_fk = s.id) AS instances,
            a.stable_at, e.outcome, e.matched_rules, e.ruleset_version, e.details, e.jobs, e.created_at AS evaluated_at
       FROM series s JOIN study st ON st.id = s.study_fk
       LEFT JOIN series_assembly a ON a.series_fk = s.id
       LEFT JOIN LATERAL (SELECT * FROM routing_evaluation re WHERE re.series_instance_uid = s.series_instance_uid ORDER BY re.id DESC LIMIT 1) e ON TRUE
       ${where}
      ORDER BY s.last_instance_at DESC, s.id DESC LIMIT $1`,
    params,
  )) as Row[];
  if (rows.length === 0) return [];
  const uids = rows.map((r) => r.series_instance_uid);
  const results = (await archive.db.dataSource.query(
    `SELECT r.id, r.source_series_instance_uid AS source, r.model_id, r.generation, r.rule_id, r.status, r.outcome, r.reason, r.created_at,
            COALESCE((SELECT jsonb_object_agg(status, n) FROM (SELECT d.status, count(*)::int AS n FROM delivery d WHERE d.ai_result_id = r.id GROUP BY d.status) x), '{}'::jsonb) AS deliveries
       FROM ai_result r WHERE r.source_series_instance_uid = ANY($1) AND r.superseded_by IS NULL ORDER BY r.id DESC`,
    [uids],
  )) as { id: string | number; source: string; model_id: string; generation: number; rule_id: string | null; status: string; outcome: string; reason: string | null; created_at: Date | string; deliveries: Record<string, number> | string }[];
  return rows.map((r) => ({
    seriesInstanceUid: r.series_instance_uid,
    studyInstanceUid: r.study_instance_uid,
    modality: r.modality,
    seriesDescription: r.series_description,
    instances: Number(r.instances),
    lastInstanceAt: new Date(r.last_instance_at).toISOString(),
    stableAt: r.stable_at ? new Date(r.stable_at).toISOString() : null,
    routing: r.outcome
      ? { outcome: r.outcome, matchedRules: r.matched_rules ?? [], rulesetVersion: r.ruleset_version === null ? null : Number(r.ruleset_version), reasons: r.outcome === 'no-match' ? reasonsOf(r.details) : jobReasons(r.jobs), at: new Date(r.evaluated_at!).toISOString() }
      : null,
    results: results
      .filter((x) => x.source === r.series_instance_uid)
      .map((x) => ({ id: String(x.id), modelId: x.model_id, generation: Number(x.generation), ruleId: x.rule_id, status: x.status, outcome: x.outcome, reason: x.reason, createdAt: new Date(x.created_at).toISOString(), deliveries: typeof x.deliveries === 'string' ? (JSON.parse(x.deliveries) as Record<string, number>) : x.deliveries })),
  }));
}
