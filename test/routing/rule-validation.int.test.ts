import test from 'ava';
import type { DryRunResult } from '../../src/routing/dry-run.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import type { RuleSetVersion } from '../../src/routing/rule-store.js';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { api, legSeries } from '../helpers/routing-fixture.js';

/**
 * Issue 17 item 2: a rule that names a model that is not installed, a destination that is not
 * configured, or a label its model does not have is refused by the API with 400 and the rule and
 * field; the dry-run reports the same without refusing; and a rule set that refers to a model the
 * registry no longer has (stored before the check, or the model went away) routes without a crash,
 * the evaluation saying "model X not installed". A real node in-process (PGlite), the demo model
 * `leg-demo` as the only installed model.
 */
let n: TestNode;

test.before(async () => {
  n = await startNode({ config: { routing: { defaultQuietSeconds: 0 }, jobs: { concurrency: { inference: 0, delivery: 0 } } } });
  await api(n.url, '/api/v1/destinations/pacs', { method: 'PUT', body: { name: 'pacs', url: 'http://127.0.0.1:9/dicom-web' } });
});
test.after.always(async () => {
  await n?.close();
});

async function send(method: string, path: string, body: unknown): Promise<{ status: number; json: { message: string; issues?: { rule: string; path: string; message: string }[] } }> {
  const res = await fetch(`${n.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

const ok = (id: string) => ({ id, when: { Modality: 'MR' }, model: 'leg-demo', destinations: ['pacs'] });

test.serial('PUT /rules: 400 naming the rule and field of a model that is not installed; nothing is stored', async (t) => {
  const before = await api<RuleSetVersion>(n.url, '/api/v1/rules');
  const r = await send('PUT', '/api/v1/rules', { rules: [ok('a'), ok('b'), { id: 'leg-mr', when: { Modality: 'MR' }, model: 'leg' }] });
  t.is(r.status, 400);
  t.is(r.json.message, 'rules[2].model: model "leg" is not installed (installed: leg-demo)');
  t.deepEqual(r.json.issues, [{ rule: 'leg-mr', path: 'rules[2].model', message: 'model "leg" is not installed (installed: leg-demo)' }]);
  t.is((await api<RuleSetVersion>(n.url, '/api/v1/rules')).version, before.version, 'no new version');
});

test.serial('POST and PUT of one rule: unknown destination and a label the model lacks are refused by field', async (t) => {
  const dest = await send('POST', '/api/v1/rules', { ...ok('c'), destinations: ['pacs', 'research'] });
  t.is(dest.status, 400);
  t.is(dest.json.message, 'destinations[1]: destination "research" is not configured (configured: pacs)');
  t.is(dest.json.issues?.[0]?.rule, 'c');
  t.is((await send('POST', '/api/v1/rules', ok('c'))).status, 201);
  // …and a destination a rule names cannot be deleted from under it.
  const del = await fetch(`${n.url}/api/v1/destinations/pacs`, { method: 'DELETE' });
  t.is(del.status, 409);
  t.is(((await del.json()) as { message: string }).message, 'destination "pacs" is used by rule c; remove it from it first');
  const label = await send('PUT', '/api/v1/rules/c', { ...ok('c'), destinations: [{ name: 'pacs', seg: { labels: ['soleus', 'gastrocnemius medialis'] } }] });
  t.is(label.status, 400);
  t.regex(label.json.message, /^destinations\[0\]\.seg\.labels\[1\]: label "gastrocnemius medialis" is not a label of model "leg-demo" \(labels: soleus, gastrocnemius_medialis, /);
  // The label names as the model has them, and their laterality-split forms, are accepted.
  t.is((await send('PUT', '/api/v1/rules/c', { ...ok('c'), destinations: [{ name: 'pacs', seg: { labels: ['SOLEUS', 'gastrocnemius_medialis_R'] } }] })).status, 200);
  const schema = await send('PUT', '/api/v1/rules', { rules: [ok('a'), { ...ok('b'), when: { Modality: { regex: '(' } } }] });
  t.is(schema.status, 400);
  t.is(schema.json.message, 'rules[1].when.Modality: regex is not a valid regular expression');
});

test.serial('a rule set that names a model the registry lacks: edits of other rules and deletes work, revert to it is refused', async (t) => {
  // As left by a node before this check existed, or by a model that was removed after the rule.
  await n.node.db.dataSource.query("INSERT INTO routing_ruleset (rules, actor, action) VALUES ($1::jsonb, 'test', 'replace')", [JSON.stringify([{ ...ok('gone'), model: 'knee', enabled: true, priority: 0, review: 'immediate', destinations: [] }, { ...ok('c'), enabled: true, priority: 0, review: 'immediate', destinations: [] }])]);
  const broken = await api<RuleSetVersion>(n.url, '/api/v1/rules');
  t.is((await send('PUT', '/api/v1/rules/c', { ...ok('c'), priority: 3 })).status, 200, 'one rule is checked alone');
  const dry = await api<DryRunResult>(n.url, '/api/v1/rules/dry-run', { body: { seriesInstanceUids: [] } });
  t.deepEqual(dry.issues, [{ rule: 'gone', path: 'rules[0].model', message: 'model "knee" is not installed (installed: leg-demo)' }], 'the dry-run reports the current set');
  const tried = await api<DryRunResult>(n.url, '/api/v1/rules/dry-run', { body: { seriesInstanceUids: [], rule: { ...ok('c'), model: 'leg' } } });
  t.deepEqual(tried.issues?.map((x) => x.path), ['rules[0].model', 'rule.model'], 'a tried rule is `rule`');
  const revert = await send('POST', `/api/v1/rules/versions/${broken.version}/revert`, {});
  t.is(revert.status, 400);
  t.is(revert.json.message, 'rules[0].model: model "knee" is not installed (installed: leg-demo)');
  t.is((await send('DELETE', '/api/v1/rules/gone', {})).status, 200, 'a broken rule can always be deleted');
});

test.serial('routing a series whose matching rule names a missing model: no job, outcome model-not-installed; other rules still run', async (t) => {
  await n.node.routing.queue.start();
  const rules = [
    { id: 'gone', when: { BodyPartExamined: 'LEG' }, model: 'knee', enabled: true, priority: 0, review: 'immediate', destinations: [] },
    { id: 'demo', when: { BodyPartExamined: 'LEG', SeriesDescription: 'both' }, model: 'leg-demo', enabled: true, priority: 0, review: 'immediate', destinations: [] },
  ];
  await n.node.db.dataSource.query("INSERT INTO routing_ruleset (rules, actor, action) VALUES ($1::jsonb, 'test', 'replace')", [JSON.stringify(rules)]);
  const only = await legSeries({ description: 'only missing' });
  const both = await legSeries({ description: 'both', studyInstanceUID: only.series.studyInstanceUID });
  for (const s of [only, both]) t.is((await stowInstances(n.url, s.series.files)).status, 200);
  await n.node.routing.scheduler.tick();
  const evaluation = async (uid: string) => (await api<EvaluationView[]>(n.url, `/api/v1/evaluations?series=${uid}`))[0]!;
  const a = await evaluation(only.series.seriesInstanceUID);
  t.is(a.outcome, 'model-not-installed');
  t.deepEqual(a.jobs, [{ jobId: null, ruleId: 'gone', model: 'knee', created: false, reason: 'model "knee" is not installed (installed: leg-demo)' }]);
  const b = await evaluation(both.series.seriesInstanceUID);
  t.is(b.outcome, 'matched');
  const jobs = b.jobs as { jobId: string | null; ruleId: string; created: boolean }[];
  t.deepEqual(jobs.map((j) => [j.ruleId, j.created, j.jobId === null]), [['gone', false, true], ['demo', true, false]]);
  // The console's series list says why nothing was made.
  const overview = await api<{ seriesInstanceUid: string; routing: { outcome: string; reasons: string[] } }[]>(n.url, '/api/v1/series');
  t.deepEqual(overview.find((s) => s.seriesInstanceUid === only.series.seriesInstanceUID)?.routing.reasons, ['gone: model "knee" is not installed (installed: leg-demo)']);
});
