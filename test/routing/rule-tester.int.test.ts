import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import type { JobView } from '../../src/jobs/job-list.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import type { RuleTestResult, RuleVerdict } from '../../src/routing/rule-tester.js';
import { readRulesFile } from '../../src/routing/rules-file.js';
import type { StudyWaitView } from '../../src/routing/study-waits.js';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { api, legSeries } from '../helpers/routing-fixture.js';

/**
 * Issue 17 item 6 in one node in-process (PGlite, the demo model `leg-demo`): the rule tester
 * (POST /api/v1/rules/test) explains for each rule whether it matches a stored series and which
 * condition failed, with the plane and what would happen; study rules are validated like every
 * rule (API 400 naming the field, the rules file refused), and a study rule's wait, driven tick by
 * tick through the real scheduler (no job workers: the job is what is checked), fires once.
 */
let n: TestNode;
const STUDY_RULE = {
  id: 'leg-study',
  trigger: 'study',
  priority: 7,
  when: { Modality: 'MR' },
  study: { requiredSeries: [{ name: 't1', when: { SeriesDescription: { wildcard: '*t1*' } } }, { name: 'dixon', when: { SeriesDescription: { wildcard: '*dixon*' } } }], input: 't1', timeoutSeconds: 3600 },
  model: 'leg-demo',
  destinations: ['pacs'],
};
const RULES = [
  { id: 'legs', priority: 10, when: { SeriesDescription: { wildcard: '*leg*' }, Plane: 'axial' }, model: 'leg-demo', destinations: ['pacs'] },
  { id: 'any-mr', when: { Modality: 'MR' }, model: 'leg-demo' },
  STUDY_RULE,
];

test.before(async () => {
  n = await startNode({ config: { routing: { defaultQuietSeconds: 0 }, jobs: { concurrency: { inference: 0, delivery: 0 } } } });
  await api(n.url, '/api/v1/destinations/pacs', { method: 'PUT', body: { name: 'pacs', url: 'http://127.0.0.1:9/dicom-web' } });
  await api(n.url, '/api/v1/rules', { method: 'PUT', body: { rules: RULES } });
});
test.after.always(async () => {
  await n?.close();
});

async function post(p: string, body: unknown): Promise<{ status: number; json: { message: string; issues?: { rule: string; path: string; message: string }[] } & Partial<RuleTestResult> }> {
  const res = await fetch(`${n.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

async function stow(description: string, studyInstanceUID?: string): Promise<{ series: string; study: string }> {
  const s = await legSeries({ description, studyInstanceUID });
  const r = await stowInstances(n.url, s.series.files);
  if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}`);
  return { series: s.series.seriesInstanceUID, study: s.series.studyInstanceUID };
}

const verdict = (r: RuleTestResult, id: string): RuleVerdict => r.rules.find((x) => x.ruleId === id)!;

test.serial('rule tester: per rule whether it matches and why not, the plane, and what would happen; a draft rule too', async (t) => {
  const arm = await stow('T2 arm');
  const r = await api<RuleTestResult>(n.url, '/api/v1/rules/test', { body: { seriesInstanceUid: arm.series } });
  t.is(r.plane?.text, 'axial');
  const legs = verdict(r, 'legs');
  t.is(legs.outcome, 'no-match');
  t.false(legs.matches);
  t.deepEqual(legs.failed, ['SeriesDescription is "T2 arm", wanted {"wildcard":"*leg*"}'], 'only the failing condition (Plane holds)');
  t.is(legs.explanation, 'does not match: SeriesDescription is "T2 arm", wanted {"wildcard":"*leg*"}');
  const any = verdict(r, 'any-mr');
  t.is(any.outcome, 'runs');
  t.is(any.plan?.action, 'direct');
  t.is(any.explanation, 'would run model "leg-demo"; plan direct: axial series, axial model: slices used as acquired');
  const study = verdict(r, 'leg-study');
  t.is(study.outcome, 'no-match');
  t.deepEqual(study.failed, ['not required series t1: SeriesDescription is "T2 arm", wanted {"wildcard":"*t1*"}', 'not required series dixon: SeriesDescription is "T2 arm", wanted {"wildcard":"*dixon*"}']);

  // A draft (not saved) is tried beside the set, and says why it would not match.
  const draft = await api<RuleTestResult & { issues: unknown[] }>(n.url, '/api/v1/rules/test', { body: { seriesInstanceUid: arm.series, rule: { id: 'coronal', when: { Plane: 'coronal' }, model: 'no-such-model' } } });
  const d = verdict(draft, 'coronal');
  t.true(d.draft);
  t.is(d.outcome, 'no-match');
  t.deepEqual(d.failed, ['Plane is "axial", wanted {"equals":"coronal"}']);
  t.deepEqual(draft.issues, [{ rule: 'coronal', path: 'rule.model', message: 'model "no-such-model" is not installed (installed: leg-demo)' }], 'what saving it would refuse');

  const leg = await stow('T1 leg');
  const l = await api<RuleTestResult>(n.url, '/api/v1/rules/test', { body: { seriesInstanceUid: leg.series } });
  t.is(verdict(l, 'legs').outcome, 'runs');
  t.is(verdict(l, 'legs').explanation, 'would run model "leg-demo" and deliver to pacs; plan direct: axial series, axial model: slices used as acquired');
  t.is(verdict(l, 'any-mr').outcome, 'shadowed');
  t.regex(verdict(l, 'any-mr').explanation, /rule "legs" runs model "leg-demo"/);
  const s = verdict(l, 'leg-study');
  t.is(s.outcome, 'study');
  t.deepEqual(s.study?.roles, ['t1']);
  t.deepEqual(s.study?.state.missing, ['dixon']);
  t.is(s.plan?.action, 'direct', 'this series is the input: its plan');
  t.regex(s.explanation, /^counts as t1 for the study; waits for the study: has t1 \(this series\); lacks dixon; 3600 s after its first series is stable: no job/);

  t.is((await post('/api/v1/rules/test', { seriesInstanceUid: '1.2.3.999' })).status, 404);
  const bad = await post('/api/v1/rules/test', { seriesInstanceUid: 'x' });
  t.is(bad.status, 400);
  t.regex(bad.json.message, /^seriesInstanceUid: not a UID/);
});

test.serial('study rules are validated like every rule: API 400 naming the field, rules file refused', async (t) => {
  const input = await post('/api/v1/rules', { ...STUDY_RULE, id: 'bad-input', study: { ...STUDY_RULE.study, input: 't3' } });
  t.is(input.status, 400);
  t.is(input.json.message, 'study.input: "t3" is not a required series (t1, dixon)');
  t.deepEqual(input.json.issues, [{ rule: 'bad-input', path: 'study.input', message: '"t3" is not a required series (t1, dixon)' }]);
  const set = await fetch(`${n.url}/api/v1/rules`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [RULES[0], { ...STUDY_RULE, study: undefined }] }) });
  t.is(set.status, 400);
  t.is(((await set.json()) as { message: string }).message, 'rules[1].study: required with trigger: study ({ requiredSeries, timeoutSeconds })');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-study-rules-'));
  try {
    const file = path.join(dir, 'routing.yaml');
    writeFileSync(file, stringify({ destinations: [{ name: 'pacs', url: 'http://127.0.0.1:9/dicom-web' }], rules: [{ ...STUDY_RULE, study: { ...STUDY_RULE.study, onTimeout: 'later' } }] }));
    const refs = await n.node.routing.rules.referencesNow();
    const err = await t.throwsAsync(readRulesFile(file, refs));
    t.regex(err!.message, /^routing\.rulesFile .*routing\.yaml: rules\[0\]\.study\.onTimeout \(rule "leg-study"\): Invalid option: expected one of "skip"\|"run"$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a study rule waits for both required series, then queues one job on its input series', async (t) => {
  const tick = () => n.node.routing.scheduler.tick();
  const t1 = await stow('T1 study leg');
  await tick();
  const waits = () => api<StudyWaitView[]>(n.url, `/api/v1/study-waits?study=${t1.study}`);
  const [w] = await waits();
  t.is(w?.state, 'waiting');
  t.deepEqual(w?.missing, ['dixon']);
  const ev = await api<EvaluationView[]>(n.url, `/api/v1/evaluations?series=${t1.series}`);
  t.is(ev[0]?.outcome, 'matched', 'the series rules matched it too');
  const studyJobs = async () => (await api<JobView[]>(n.url, '/api/v1/jobs?type=inference')).filter((j) => (j.data as { ruleId: string }).ruleId === 'leg-study');
  t.deepEqual(await studyJobs(), [], 'no study job while dixon is missing');

  const dixon = await stow('Dixon W', t1.study);
  await tick();
  const [fired] = await waits();
  t.is(fired?.state, 'fired');
  t.deepEqual(fired?.missing, []);
  t.is(fired?.inputSeriesInstanceUid, t1.series);
  const dixonEval = await api<EvaluationView[]>(n.url, `/api/v1/evaluations?series=${dixon.series}`);
  t.is(dixonEval[0]?.outcome, 'matched', 'the series that completed the study made its job');
  // Another series of the study, and another tick: still one job.
  await stow('T2 localizer', t1.study);
  await tick();
  await tick();
  const jobs = await studyJobs();
  t.is(jobs.length, 1);
  t.is((jobs[0]!.data as { seriesInstanceUid: string }).seriesInstanceUid, t1.series, 'on the input series t1');
  t.is(jobs[0]!.id, fired?.jobId as string);
  t.is(jobs[0]!.priority, 7, "the study rule's priority is its job's");
  t.regex((jobs[0]!.data as { study: { reason: string } }).study.reason, /^all required series present \(t1, dixon\)/);
});
