import { evaluateWhen } from './matcher.js';
import { inputOf, type SeriesAttributes, type StudyRule } from './rule-types.js';

/**
 * Study rules (issue 17 item 6, docs/routing.md "Study rules"), the pure part: which stable series
 * of a study fill which required series of a rule, what is missing, and the sentences the
 * evaluation record, the study-wait API, the console and the rule tester show. No I/O: the
 * candidates come from the database (study-waits.ts) or the dry-run.
 */

/** A stable series of the study, with the routing attributes recorded when it was evaluated. */
export interface StudyCandidate {
  seriesInstanceUid: string;
  fingerprint: string;
  attributes: SeriesAttributes;
  /** PostgreSQL text of series.last_instance_at: the newest series fills a role when several could. */
  lastInstanceAt: string;
}

export interface RequiredSeriesState {
  name: string;
  /** The series that is it (the newest matching one), or null while it is missing. */
  seriesInstanceUid: string | null;
  fingerprint: string | null;
}

export interface StudyState {
  required: RequiredSeriesState[];
  /** Names of the required series no stable series of the study fills yet. */
  missing: string[];
  input: string;
  /** The series the model would run on (the input role), null while it is missing. */
  inputSeries: { seriesInstanceUid: string; fingerprint: string } | null;
  complete: boolean;
}

/** The required series (names) one series fills for a rule: the rule's `when` and the required series' own. */
export function rolesOf(rule: StudyRule, attrs: SeriesAttributes): string[] {
  if (!evaluateWhen(rule.when, attrs).every((c) => c.ok)) return [];
  return rule.study.requiredSeries.filter((rs) => evaluateWhen(rs.when, attrs).every((c) => c.ok)).map((rs) => rs.name);
}

/**
 * The study's state for a rule. Each required series is matched on its own: one series may fill
 * two roles (a rule that must not allow that says so in the conditions), and when several series
 * fill a role (a repeated acquisition) the newest one is it.
 */
export function studyState(rule: StudyRule, candidates: readonly StudyCandidate[]): StudyState {
  const newestFirst = [...candidates].sort((a, b) => (a.lastInstanceAt < b.lastInstanceAt ? 1 : a.lastInstanceAt > b.lastInstanceAt ? -1 : 0));
  const roles = new Map(newestFirst.map((c) => [c.seriesInstanceUid, rolesOf(rule, c.attributes)]));
  const required = rule.study.requiredSeries.map((rs): RequiredSeriesState => {
    const hit = newestFirst.find((c) => roles.get(c.seriesInstanceUid)!.includes(rs.name));
    return { name: rs.name, seriesInstanceUid: hit?.seriesInstanceUid ?? null, fingerprint: hit?.fingerprint ?? null };
  });
  const input = inputOf(rule);
  const inp = required.find((r) => r.name === input)!;
  const missing = required.filter((r) => r.seriesInstanceUid === null).map((r) => r.name);
  return { required, missing, input, inputSeries: inp.seriesInstanceUid ? { seriesInstanceUid: inp.seriesInstanceUid, fingerprint: inp.fingerprint! } : null, complete: missing.length === 0 };
}

export const lacksText = (missing: readonly string[]): string => `study lacks series ${missing.join(', ')}`;

/** The outcome of a wait that reached its timeout, as the API, the console and the log say it. */
export function timeoutText(rule: StudyRule, state: StudyState): { run: boolean; reason: string } {
  const head = `timed out after ${rule.study.timeoutSeconds} s: ${lacksText(state.missing)}`;
  if (rule.study.onTimeout !== 'run') return { run: false, reason: head };
  if (!state.inputSeries) return { run: false, reason: `${head}; onTimeout run, but the input series ${state.input} is missing: nothing to run on` };
  return { run: true, reason: `${head}; onTimeout run: ran on ${state.input} anyway` };
}

/** What a study rule does next for a study in this state (rule tester, dry-run, evaluation record). */
export function studyPlanText(rule: StudyRule, state: StudyState, thisSeries?: string): string {
  const has = state.required.filter((r) => r.seriesInstanceUid).map((r) => `${r.name}${r.seriesInstanceUid === thisSeries ? ' (this series)' : ''}`);
  if (state.complete) return `all required series present (${has.join(', ')}): runs model "${rule.model}" on ${state.input}`;
  const after = rule.study.onTimeout === 'run' ? `runs on ${state.input} anyway${state.inputSeries ? '' : ' if it has arrived'}` : 'no job';
  return `waits for the study: ${has.length ? `has ${has.join(', ')}; ` : ''}lacks ${state.missing.join(', ')}; ${rule.study.timeoutSeconds} s after its first series is stable: ${after}`;
}
