import test from 'ava';
import { evaluateRule } from '../../src/routing/matcher.js';
import { parseRule, RuleStoreError } from '../../src/routing/rule-store.js';
import { isStudyRule, type StudyRule } from '../../src/routing/rule-types.js';
import { selectRuns } from '../../src/routing/route-series.js';
import { rolesOf, studyPlanText, studyState, timeoutText, type StudyCandidate } from '../../src/routing/study-requirements.js';

/** Study rules without I/O: the schema's cross-field checks, which series fills which role, the outcome texts. */
const RULE = {
  id: 'leg-study',
  trigger: 'study',
  when: { Modality: 'MR' },
  study: {
    requiredSeries: [
      { name: 't1', when: { SeriesDescription: { wildcard: '*t1*' } } },
      { name: 'dixon', when: { SeriesDescription: { wildcard: '*dixon*' } } },
    ],
    timeoutSeconds: 600,
  },
  model: 'leg-demo',
};

const studyRule = (over: Record<string, unknown> = {}): StudyRule => {
  const r = parseRule({ ...RULE, ...over });
  if (!isStudyRule(r)) throw new Error('not a study rule');
  return r;
};

const series = (uid: string, description: string, last: string, modality = 'MR'): StudyCandidate => ({ seriesInstanceUid: uid, fingerprint: `fp-${uid}`, attributes: { Modality: modality, SeriesDescription: description }, lastInstanceAt: last });

function issuesOf(input: unknown): string[] {
  try {
    parseRule(input);
    return [];
  } catch (err) {
    return (err as RuleStoreError).issues.map((x) => `${x.path}: ${x.message}`);
  }
}

test('schema: defaults, and each cross-field mistake names its field', (t) => {
  const r = studyRule();
  t.is(r.study.onTimeout, 'skip');
  t.is(parseRule({ id: 'plain', model: 'm' }).trigger, 'series', 'rules written before study rules stay series rules');
  t.deepEqual(issuesOf({ ...RULE, study: undefined }), ['study: required with trigger: study ({ requiredSeries, timeoutSeconds })']);
  t.deepEqual(issuesOf({ ...RULE, trigger: 'series' }), ['study: allowed only with trigger: study']);
  t.deepEqual(issuesOf({ ...RULE, study: { ...RULE.study, input: 't2' } }), ['study.input: "t2" is not a required series (t1, dixon)']);
  t.deepEqual(issuesOf({ ...RULE, study: { ...RULE.study, requiredSeries: [RULE.study.requiredSeries[0], RULE.study.requiredSeries[0]] } }), ['study.requiredSeries[1].name: duplicate required series "t1"']);
  t.deepEqual(issuesOf({ ...RULE, study: { ...RULE.study, requiredSeries: [{ name: 'any', when: {} }] } }), ['study.requiredSeries[0].when: a required series needs at least one condition']);
  t.deepEqual(issuesOf({ ...RULE, study: { ...RULE.study, onTimeout: 'wait' } }).map((x) => x.split(':')[0]), ['study.onTimeout']);
  t.deepEqual(issuesOf({ ...RULE, study: { ...RULE.study, timeoutSeconds: 0 } }).map((x) => x.split(':')[0]), ['study.timeoutSeconds']);
});

test('a study rule matches a series that is one of its required series, and never runs on it alone', (t) => {
  const r = studyRule();
  const t1 = evaluateRule(r, { Modality: 'MR', SeriesDescription: 'T1 leg' });
  t.true(t1.matched);
  t.deepEqual(t1.required?.map((x) => [x.name, x.ok]), [['t1', true], ['dixon', false]]);
  t.false(evaluateRule(r, { Modality: 'MR', SeriesDescription: 'localizer' }).matched, 'none of its required series');
  t.false(evaluateRule(r, { Modality: 'CT', SeriesDescription: 'T1 leg' }).matched, "the rule's own when must hold too");
  t.deepEqual(selectRuns([r]), [], 'selectRuns leaves study rules to their wait');
  t.deepEqual(rolesOf(r, { Modality: 'MR', SeriesDescription: 'T1 dixon' }), ['t1', 'dixon'], 'one series may fill two roles');
});

test('study state: missing series, the newest series fills a role, input defaults to the first', (t) => {
  const r = studyRule();
  const only = studyState(r, [series('1', 'T1 leg', '2026-01-01 10:00:00+00'), series('2', 'localizer', '2026-01-01 10:01:00+00')]);
  t.deepEqual(only.missing, ['dixon']);
  t.false(only.complete);
  t.is(only.input, 't1');
  t.deepEqual(only.inputSeries, { seriesInstanceUid: '1', fingerprint: 'fp-1' });
  t.is(studyPlanText(r, only, '1'), 'waits for the study: has t1 (this series); lacks dixon; 600 s after its first series is stable: no job');
  t.deepEqual(timeoutText(r, only), { run: false, reason: 'timed out after 600 s: study lacks series dixon' });
  t.deepEqual(timeoutText(studyRule({ study: { ...RULE.study, onTimeout: 'run' } }), only), { run: true, reason: 'timed out after 600 s: study lacks series dixon; onTimeout run: ran on t1 anyway' });

  const all = studyState(r, [series('1', 'T1 leg', '2026-01-01 10:00:00+00'), series('3', 'T1 leg repeat', '2026-01-01 10:05:00+00'), series('4', 'Dixon W', '2026-01-01 10:02:00+00')]);
  t.true(all.complete);
  t.is(all.inputSeries?.seriesInstanceUid, '3', 'the repeated acquisition is the newest t1');
  t.is(studyPlanText(r, all), 'all required series present (t1, dixon): runs model "leg-demo" on t1');

  const noInput = studyState(studyRule({ study: { ...RULE.study, input: 'dixon', onTimeout: 'run' } }), [series('1', 'T1 leg', '2026-01-01 10:00:00+00')]);
  t.deepEqual(timeoutText(studyRule({ study: { ...RULE.study, input: 'dixon', onTimeout: 'run' } }), noInput), { run: false, reason: 'timed out after 600 s: study lacks series dixon; onTimeout run, but the input series dixon is missing: nothing to run on' });
});
