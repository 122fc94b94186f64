import type { Logger } from 'pino';
import type { Database } from '../db/data-source.js';
import type { ModelCard } from '../inference/model-card.js';
import { jobIdFor } from '../jobs/boss-db.js';
import type { JobQueue } from '../jobs/queue.js';
import { modelNotInstalled } from './rule-references.js';
import { isStudyRule, type Rule, type StudyRule } from './rule-types.js';
import { INFERENCE_JOB, type InferenceJobData } from './route-series.js';
import type { SeriesSnapshot } from './series-snapshot.js';
import { lacksText, rolesOf, studyPlanText, studyState, timeoutText, type RequiredSeriesState, type StudyCandidate } from './study-requirements.js';

/** `waiting` → `fired` (job made) | `timed-out` (onTimeout skip, or nothing to run on) | `cancelled` (rule gone) | `model-not-installed`. */
export type WaitState = 'waiting' | 'fired' | 'timed-out' | 'cancelled' | 'model-not-installed';

/** What the evaluation record of the series that became stable says about a study rule it counts for. */
export interface StudyJobEntry {
  jobId: string | null;
  ruleId: string;
  model: string;
  created: boolean;
  reason: string;
  study: { waitId: string; roles: string[]; state: WaitState; missing: string[] };
}

export interface StudyWaitView {
  id: string;
  ruleId: string;
  studyInstanceUid: string;
  state: WaitState;
  openedAt: string;
  deadline: string;
  updatedAt: string;
  required: RequiredSeriesState[];
  missing: string[];
  inputSeriesInstanceUid: string | null;
  jobId: string | null;
  reason: string | null;
}

interface Row {
  id: string | number;
  rule_id: string;
  study_instance_uid: string;
  state: WaitState;
  opened_at: Date | string;
  deadline: Date | string;
  updated_at: Date | string;
  required: RequiredSeriesState[];
  missing: string[];
  input_series_instance_uid: string | null;
  fired_fingerprint: string | null;
  job_id: string | null;
  reason: string | null;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

export interface StudyWaitDeps {
  db: Database;
  queue: JobQueue;
  log: Logger;
  models: { activeCard(id: string): Promise<ModelCard | undefined>; list(): Promise<{ id: string; active: unknown }[]> };
}

/** The rule set a wait is evaluated against (RuleStore.current()). */
export interface RuleSetNow {
  version: number;
  rules: readonly Rule[];
}

/**
 * Study rules, the durable part: a `study_wait` row per (rule, study), opened when the first
 * series that counts for the rule becomes stable, evaluated again whenever another series of the
 * study becomes stable, and ended by the scheduler at its deadline. Jobs are the ordinary inference
 * job on the input series, with the id series rules use (series, content, rule, model): evaluating
 * twice (a crash before the series was marked handled, two ticks) queues one job.
 */
export class StudyWaits {
  constructor(private readonly deps: StudyWaitDeps) {}

  /** A series became stable: open the waits of the study rules it counts for, then evaluate the study's waits. */
  async seriesStable(set: RuleSetNow, snap: SeriesSnapshot): Promise<StudyJobEntry[]> {
    const rules = set.rules.filter((r): r is StudyRule => isStudyRule(r) && r.enabled);
    const roles = new Map(rules.map((r) => [r.id, rolesOf(r, snap.attributes)]));
    for (const r of rules) {
      if (roles.get(r.id)!.length === 0) continue;
      await this.deps.db.dataSource.query(
        `INSERT INTO study_wait (rule_id, study_instance_uid, deadline) VALUES ($1, $2, now() + $3 * interval '1 second')
         ON CONFLICT (rule_id, study_instance_uid) DO NOTHING`,
        [r.id, snap.studyInstanceUid, r.study.timeoutSeconds],
      );
    }
    const rows = (await this.deps.db.dataSource.query('SELECT * FROM study_wait WHERE study_instance_uid = $1', [snap.studyInstanceUid])) as Row[];
    if (rows.length === 0) return [];
    // This series counts as stable now, though it is marked handled only after this evaluation.
    const current: StudyCandidate = { seriesInstanceUid: snap.seriesInstanceUid, fingerprint: snap.fingerprint, attributes: snap.attributes, lastInstanceAt: snap.lastInstanceAtText };
    const candidates = [...(await loadStudyCandidates(this.deps.db, snap.studyInstanceUid)).filter((c) => c.seriesInstanceUid !== snap.seriesInstanceUid), current];
    const entries: StudyJobEntry[] = [];
    for (const row of rows) {
      const rule = rules.find((r) => r.id === row.rule_id);
      if (!rule) continue;
      const out = await this.evaluate(set.version, rule, row, candidates, false);
      const mine = roles.get(rule.id)!;
      if (mine.length) entries.push({ ...out, ruleId: rule.id, model: rule.model, study: { waitId: String(row.id), roles: mine, state: out.state, missing: out.missing } });
    }
    return entries;
  }

  /**
   * Ends the waits whose deadline passed (fired when the study became complete meanwhile, else the
   * rule's onTimeout) and cancels waits of rules that are gone. Returns seconds to the next deadline.
   */
  async due(set: RuleSetNow): Promise<number> {
    const rules = set.rules.filter((r): r is StudyRule => isStudyRule(r) && r.enabled);
    await this.deps.db.dataSource.query(
      `UPDATE study_wait SET state = 'cancelled', updated_at = now(), reason = 'the rule was removed, disabled or is no longer a study rule' WHERE state = 'waiting' AND NOT (rule_id = ANY($1))`,
      [rules.map((r) => r.id)],
    );
    const rows = (await this.deps.db.dataSource.query(`SELECT * FROM study_wait WHERE state = 'waiting' AND deadline <= now() ORDER BY deadline LIMIT 100`)) as Row[];
    for (const row of rows) {
      const rule = rules.find((r) => r.id === row.rule_id)!;
      await this.evaluate(set.version, rule, row, await loadStudyCandidates(this.deps.db, row.study_instance_uid), true);
    }
    const [next] = (await this.deps.db.dataSource.query(`SELECT EXTRACT(EPOCH FROM (min(deadline) - now())) AS s FROM study_wait WHERE state = 'waiting'`)) as { s: string | number | null }[];
    return next?.s === null || next?.s === undefined ? Infinity : Math.max(0, Number(next.s));
  }

  private async evaluate(version: number, rule: StudyRule, row: Row, candidates: StudyCandidate[], atDeadline: boolean): Promise<{ jobId: string | null; created: boolean; reason: string; state: WaitState; missing: string[] }> {
    const state = studyState(rule, candidates);
    let next: { state: WaitState; reason: string; run: boolean };
    if (state.complete) next = { state: 'fired', reason: studyPlanText(rule, state), run: true };
    else if (atDeadline) {
      const t = timeoutText(rule, state);
      next = { state: t.run ? 'fired' : 'timed-out', reason: t.reason, run: t.run };
    } else if (row.state === 'waiting') next = { state: 'waiting', reason: studyPlanText(rule, state), run: false };
    // An ended wait keeps its outcome until the study is complete (then it fires, even after its timeout).
    else next = { state: row.state, reason: row.reason ?? lacksText(state.missing), run: false };
    let jobId: string | null = row.job_id;
    let created = false;
    let fired = row.fired_fingerprint;
    if (next.run && state.inputSeries && state.inputSeries.fingerprint !== row.fired_fingerprint) {
      const card = await this.deps.models.activeCard(rule.model).catch(() => undefined);
      if (!card) {
        const installed = (await this.deps.models.list()).filter((m) => m.active).map((m) => m.id);
        next = { state: 'model-not-installed', reason: modelNotInstalled(rule.model, installed), run: false };
      } else {
        const { seriesInstanceUid, fingerprint } = state.inputSeries;
        jobId = jobIdFor(`inference:${seriesInstanceUid}:${fingerprint}:${rule.id}:${rule.model}`);
        const data: InferenceJobData = { seriesInstanceUid, studyInstanceUid: row.study_instance_uid, fingerprint, ruleId: rule.id, rulesetVersion: version, model: rule.model, destinations: rule.destinations, review: rule.review, study: { waitId: String(row.id), reason: next.reason } };
        created = (await this.deps.queue.send(INFERENCE_JOB, data, { id: jobId, priority: rule.priority })) !== null;
        fired = fingerprint;
        this.deps.log.info({ rule: rule.id, wait: String(row.id), created, atDeadline, missing: state.missing }, 'study rule fired');
      }
    } else if (next.state === 'timed-out' && row.state === 'waiting') this.deps.log.info({ rule: rule.id, wait: String(row.id), missing: state.missing }, 'study rule timed out');
    await this.deps.db.dataSource.query(
      `UPDATE study_wait SET state = $2, reason = $3, required = $4::jsonb, missing = $5::jsonb, input_series_instance_uid = $6, fired_fingerprint = $7, job_id = $8, updated_at = now() WHERE id = $1`,
      [row.id, next.state, next.reason, JSON.stringify(state.required), JSON.stringify(state.missing), state.inputSeries?.seriesInstanceUid ?? null, fired, jobId],
    );
    return { jobId, created, reason: next.reason, state: next.state, missing: state.missing };
  }
}

/**
 * The stable series of a study with the attributes of their latest evaluation (what routing saw:
 * no header is read again). Stable = handled at its current last instance; our own results and
 * non-image series never count.
 */
export async function loadStudyCandidates(db: Database, studyUid: string): Promise<StudyCandidate[]> {
  const rows = (await db.dataSource.query(
    `SELECT se.series_instance_uid AS uid, e.fingerprint, e.attributes, se.last_instance_at::text AS last
       FROM series se JOIN study st ON st.id = se.study_fk
       JOIN series_assembly a ON a.series_fk = se.id AND a.handled_last_instance_at >= se.last_instance_at
       JOIN LATERAL (SELECT fingerprint, attributes, outcome FROM routing_evaluation re WHERE re.series_instance_uid = se.series_instance_uid ORDER BY re.id DESC LIMIT 1) e ON TRUE
      WHERE st.study_instance_uid = $1 AND e.outcome NOT IN ('own-result', 'not-image')`,
    [studyUid],
  )) as { uid: string; fingerprint: string; attributes: StudyCandidate['attributes'] | string; last: string }[];
  return rows.map((r) => ({ seriesInstanceUid: r.uid, fingerprint: r.fingerprint, attributes: typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes, lastInstanceAt: r.last }));
}

/** GET /api/v1/study-waits: newest first. */
export async function listStudyWaits(db: Database, f: { state?: string; study?: string; rule?: string; limit?: number } = {}): Promise<StudyWaitView[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (f.state) where.push(`state = $${params.push(f.state)}`);
  if (f.study) where.push(`study_instance_uid = $${params.push(f.study)}`);
  if (f.rule) where.push(`rule_id = $${params.push(f.rule)}`);
  params.push(Math.min(Math.max(f.limit ?? 100, 1), 1000));
  const rows = (await db.dataSource.query(`SELECT * FROM study_wait ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`, params)) as Row[];
  return rows.map((r) => ({
    id: String(r.id),
    ruleId: r.rule_id,
    studyInstanceUid: r.study_instance_uid,
    state: r.state,
    openedAt: iso(r.opened_at),
    deadline: iso(r.deadline),
    updatedAt: iso(r.updated_at),
    required: r.required,
    missing: r.missing,
    inputSeriesInstanceUid: r.input_series_instance_uid,
    jobId: r.job_id,
    reason: r.reason,
  }));
}
