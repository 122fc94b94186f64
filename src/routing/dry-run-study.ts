import type { Database } from '../db/data-source.js';
import type { RuleResult } from './matcher.js';
import { isStudyRule, type Rule, type StudyRule } from './rule-types.js';
import type { SeriesSnapshot } from './series-snapshot.js';
import { studyPlanText, studyState, type StudyState } from './study-requirements.js';
import { listStudyWaits, loadStudyCandidates, type StudyWaitView } from './study-waits.js';

/** What a study rule would do with the study of one series, as the dry-run and the rule tester show it. */
export interface StudyPreview {
  ruleId: string;
  /** The required series this series would be (empty: it does not count for the rule). */
  roles: string[];
  /** The study as it is stored now, this series counted as stable. */
  state: StudyState;
  /** One sentence: what the rule does next for this study. */
  text: string;
  /** The node's wait for this rule and study, if one was opened. */
  wait: Pick<StudyWaitView, 'id' | 'state' | 'deadline' | 'reason' | 'jobId'> | null;
}

/**
 * The study rules a series counts for (or the focused one, even when it does not), each with the
 * state of the series' study: which required series are there, which are missing, and what would
 * happen. The study's other series are those routing saw stable (study-waits.ts); this series is
 * counted as it is now, so a draft rule can be tried before the series was ever routed.
 */
export async function studyPreviews(db: Database, rules: readonly Rule[], snap: SeriesSnapshot, results: readonly RuleResult[], focus?: string): Promise<StudyPreview[]> {
  const study = rules.filter((r): r is StudyRule => isStudyRule(r) && (results.find((x) => x.ruleId === r.id)?.matched || r.id === focus));
  if (study.length === 0) return [];
  const others = (await loadStudyCandidates(db, snap.studyInstanceUid)).filter((c) => c.seriesInstanceUid !== snap.seriesInstanceUid);
  const candidates = [...others, { seriesInstanceUid: snap.seriesInstanceUid, fingerprint: snap.fingerprint, attributes: snap.attributes, lastInstanceAt: snap.lastInstanceAtText }];
  const waits = await listStudyWaits(db, { study: snap.studyInstanceUid });
  return study.map((rule) => {
    const r = results.find((x) => x.ruleId === rule.id);
    const roles = r?.matched ? (r.required ?? []).filter((x) => x.ok).map((x) => x.name) : [];
    const state = studyState(rule, rule.enabled ? candidates : others);
    const w = waits.find((x) => x.ruleId === rule.id);
    return { ruleId: rule.id, roles, state, text: studyPlanText(rule, state, snap.seriesInstanceUid), wait: w ? { id: w.id, state: w.state, deadline: w.deadline, reason: w.reason, jobId: w.jobId } : null };
  });
}
