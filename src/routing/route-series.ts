import type { OutputProfile } from '../export/output-profiles.js';
import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import { jobIdFor } from '../jobs/boss-db.js';
import type { JobQueue } from '../jobs/queue.js';
import { evaluateRules, type RuleResult } from './matcher.js';
import type { ModelCard } from '../inference/model-card.js';
import { modelNotInstalled } from './rule-references.js';
import type { RuleStore } from './rule-store.js';
import type { Rule, SegOptions } from './rule-types.js';
import { isStudyRule } from './rule-types.js';
import type { SeriesSnapshot } from './series-snapshot.js';
import type { StudyJobEntry, StudyWaits } from './study-waits.js';

export const INFERENCE_JOB = 'inference';

/** The data of one inference job: everything the worker needs, so a rule edit cannot change it midway. */
export interface InferenceJobData {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  fingerprint: string;
  ruleId: string;
  rulesetVersion: number;
  model: string;
  /** `profiles` absent (and in jobs queued before output profiles existed): the destination's, else seg. */
  destinations: { name: string; seg: SegOptions; profiles?: OutputProfile[] }[];
  review: 'immediate' | 'after-review';
  /** Made by a study rule: its wait, and why it fired (all required series present, or the timeout). */
  study?: { waitId: string; reason: string };
}

/** `study-wait`: no series rule matched; the series counts for a study rule whose study is not complete (its wait says what is missing). */
export type EvaluationOutcome = 'matched' | 'no-match' | 'own-result' | 'not-image' | 'unchanged' | 'model-not-installed' | 'study-wait';

export interface EvaluationRecord {
  seriesInstanceUid: string;
  rulesetVersion: number;
  fingerprint: string;
  outcome: EvaluationOutcome;
  matchedRules: string[];
  details: RuleResult[];
  /** One entry per rule that runs; a rule whose model is not installed has no job and says so in `reason`. */
  jobs: { jobId: string | null; ruleId: string; model: string; created: boolean; reason?: string; study?: StudyJobEntry['study'] }[];
}

// Never routed into inference (PS3.3 C.7.3.1 Modality): segmentations, reports, key objects, states.
const NON_IMAGE_MODALITIES = new Set(['SEG', 'SR', 'KO', 'PR', 'RTSTRUCT', 'REG', 'DOC']);
const SEG_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.66.7']);

/**
 * Per model the highest-priority matching rule runs; a lower-priority rule for the same model is
 * shadowed (a conflict the dry-run reports). Rules for different models all run.
 */
export function selectRuns(matched: readonly Rule[]): Rule[] {
  const byModel = new Map<string, Rule>();
  // Study rules run through their study's wait (study-waits.ts), never on one series alone.
  for (const r of matched) if (!isStudyRule(r) && !byModel.has(r.model)) byModel.set(r.model, r);
  return [...byModel.values()];
}

/** Why a series is never routed into inference, or undefined. Our own SEGs are recognised three ways. */
export async function exclusionOf(db: Database, s: SeriesSnapshot): Promise<EvaluationOutcome | undefined> {
  const own = (await db.dataSource.query('SELECT 1 FROM ai_result WHERE seg_series_instance_uid = $1 LIMIT 1', [s.seriesInstanceUid])) as unknown[];
  if (own.length > 0 || s.manufacturerModelName === 'Dafne Node') return 'own-result';
  const modality = String(s.attributes.Modality ?? '').toUpperCase();
  if (NON_IMAGE_MODALITIES.has(modality) || s.instances.some((i) => SEG_CLASSES.has(i.sopClassUid))) return 'not-image';
  return undefined;
}

export interface RouteDeps {
  db: Database;
  rules: RuleStore;
  queue: JobQueue;
  log: Logger;
  /** Study rules' waits; without it (tests of series rules alone) study rules do nothing. */
  studies?: StudyWaits;
  /** The registry, asked at routing time: a rule written when its model was installed may outlive it. */
  models: { activeCard(id: string): Promise<ModelCard | undefined>; list(): Promise<{ id: string; active: unknown }[]> };
}

/**
 * What happens when a series becomes stable: exclusions, rule evaluation, one inference job per
 * selected rule, and an evaluation record. Job ids derive from (series, content fingerprint, rule,
 * model): running this twice for the same content (a crash before the series was marked handled,
 * or the same series sent again) creates each job once.
 */
export async function routeStableSeries(deps: RouteDeps, s: SeriesSnapshot, previousFingerprint: string | null): Promise<EvaluationRecord> {
  const ruleset = await deps.rules.current();
  const base = { seriesInstanceUid: s.seriesInstanceUid, rulesetVersion: ruleset.version, fingerprint: s.fingerprint };
  const excluded = await exclusionOf(deps.db, s);
  let record: EvaluationRecord;
  if (excluded) record = { ...base, outcome: excluded, matchedRules: [], details: [], jobs: [] };
  else {
    const { results, matched } = evaluateRules(ruleset.rules, s.attributes);
    const study = (await deps.studies?.seriesStable(ruleset, s)) ?? [];
    const seriesMatched = matched.filter((r) => !isStudyRule(r));
    if (seriesMatched.length === 0 && study.length === 0) record = { ...base, outcome: 'no-match', matchedRules: [], details: results, jobs: [] };
    else if (study.length === 0 && previousFingerprint === s.fingerprint) record = { ...base, outcome: 'unchanged', matchedRules: matched.map((r) => r.id), details: results, jobs: [] };
    else {
      const jobs: EvaluationRecord['jobs'] = [];
      for (const rule of previousFingerprint === s.fingerprint ? [] : selectRuns(seriesMatched)) {
        // Checked when the rule was saved, but models can go (or a rule set predates the check): no
        // job that could only fail; the evaluation says why, and the other rules still run.
        const card = await deps.models.activeCard(rule.model).catch(() => undefined);
        if (!card) {
          const installed = (await deps.models.list()).filter((m) => m.active).map((m) => m.id);
          jobs.push({ jobId: null, ruleId: rule.id, model: rule.model, created: false, reason: modelNotInstalled(rule.model, installed) });
          continue;
        }
        const id = jobIdFor(`inference:${s.seriesInstanceUid}:${s.fingerprint}:${rule.id}:${rule.model}`);
        const data: InferenceJobData = { ...base, studyInstanceUid: s.studyInstanceUid, ruleId: rule.id, model: rule.model, destinations: rule.destinations, review: rule.review };
        const created = (await deps.queue.send(INFERENCE_JOB, data, { id, priority: rule.priority })) !== null;
        jobs.push({ jobId: id, ruleId: rule.id, model: rule.model, created });
      }
      jobs.push(...study);
      const outcome = jobs.some((j) => j.jobId !== null) ? 'matched' : jobs.some((j) => j.study && j.study.state !== 'model-not-installed') ? 'study-wait' : 'model-not-installed';
      record = { ...base, outcome, matchedRules: matched.map((r) => r.id), details: results, jobs };
    }
  }
  await recordEvaluation(deps.db, record, s);
  const missing = record.jobs.filter((j) => j.reason && !j.study).map((j) => `${j.ruleId}: ${j.reason}`);
  if (missing.length) deps.log.warn({ outcome: record.outcome, rules: record.matchedRules, missing }, 'series stable: a matching rule names a model that is not installed');
  else deps.log.info({ outcome: record.outcome, rules: record.matchedRules, jobs: record.jobs.length }, 'series stable: routed');
  return record;
}

export async function recordEvaluation(db: Database, r: EvaluationRecord, s: SeriesSnapshot): Promise<void> {
  // Only routing attributes are kept (no patient data): what an admin needs to see why it matched.
  await db.dataSource.query(
    `INSERT INTO routing_evaluation (series_instance_uid, ruleset_version, fingerprint, outcome, matched_rules, details, attributes, jobs)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb)`,
    [r.seriesInstanceUid, r.rulesetVersion, r.fingerprint, r.outcome, JSON.stringify(r.matchedRules), JSON.stringify(r.details), JSON.stringify(s.attributes), JSON.stringify(r.jobs)],
  );
}

export interface EvaluationView {
  id: string;
  seriesInstanceUid: string;
  rulesetVersion: number | null;
  fingerprint: string | null;
  outcome: EvaluationOutcome;
  matchedRules: string[];
  details: RuleResult[];
  attributes: unknown;
  jobs: unknown;
  createdAt: string;
}

export async function listEvaluations(db: Database, f: { seriesInstanceUid?: string; outcome?: string; limit?: number }): Promise<EvaluationView[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (f.seriesInstanceUid) where.push(`series_instance_uid = $${params.push(f.seriesInstanceUid)}`);
  if (f.outcome) where.push(`outcome = $${params.push(f.outcome)}`);
  params.push(Math.min(f.limit ?? 100, 1000));
  const rows = (await db.dataSource.query(
    `SELECT * FROM routing_evaluation ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  )) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: String(r.id),
    seriesInstanceUid: r.series_instance_uid as string,
    rulesetVersion: r.ruleset_version === null ? null : Number(r.ruleset_version),
    fingerprint: (r.fingerprint as string) ?? null,
    outcome: r.outcome as EvaluationOutcome,
    matchedRules: r.matched_rules as string[],
    details: r.details as RuleResult[],
    attributes: r.attributes,
    jobs: r.jobs,
    createdAt: new Date(r.created_at as string).toISOString(),
  }));
}
