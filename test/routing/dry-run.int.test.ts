import test from 'ava';
import { legPhantom, type PlaneOrientation } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WriteSeriesOptions } from '../../src/phantom/write-series.js';
import type { DryRunResult, DryRunSeries } from '../../src/routing/dry-run.js';
import type { RuleSetVersion } from '../../src/routing/rule-store.js';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { api, legSeries } from '../helpers/routing-fixture.js';

/**
 * Rules through /api/v1/rules (versioned with who / when, revertible) and the dry-run against
 * stored series: the expected matches, and two overlapping rules flagged; the Plane attribute and
 * what the (axial) demo model would do with series of other planes (issue 14).
 */
let n: TestNode;
let uids: { leg: string; arm: string; other: string };
let planes: { coarseCoronal: string; fineCoronal: string; oblique: string };

/** A phantom series in `orientation`, stored in the leg series' study. */
async function planeSeries(orientation: PlaneOrientation, sliceSpacing: number, description: string, studyInstanceUID: string, layout: WriteSeriesOptions['layout'] = 'single-frame'): Promise<string> {
  const ph = legPhantom({ seed: 7, noise: 10, orientation, rows: 48, columns: 40, slices: 6, pixelSpacing: [1.5, 1.5], sliceSpacing });
  const s = await writeLegSeries(ph.volume, { seriesDescription: description, studyInstanceUID, patientId: 'ROUTE-1', bodyPartExamined: 'LEG', layout });
  const r = await stowInstances(n.url, s.files);
  if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}`);
  return s.seriesInstanceUID;
}

test.before(async () => {
  n = await startNode();
  const leg = await legSeries({ description: 'T1 leg axial' });
  const arm = await legSeries({ description: 'T2 arm coronal', studyInstanceUID: leg.series.studyInstanceUID });
  const other = await legSeries({ description: 'localizer', studyInstanceUID: leg.series.studyInstanceUID, rows: 32, columns: 32 });
  for (const s of [leg, arm, other]) {
    const r = await stowInstances(n.url, s.series.files);
    if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}`);
  }
  uids = { leg: leg.series.seriesInstanceUID, arm: arm.series.seriesInstanceUID, other: other.series.seriesInstanceUID };
  const study = leg.series.studyInstanceUID;
  planes = {
    coarseCoronal: await planeSeries('coronal', 6, 'plane coronal 6 mm', study),
    fineCoronal: await planeSeries('coronal', 2, 'plane coronal 2 mm', study),
    // Enhanced MR: the orientation sits in the functional groups, not at the top level.
    oblique: await planeSeries('oblique', 2, 'plane oblique enhanced', study, 'enhanced'),
  };
});

test.after.always(async () => {
  await n?.close();
});

const RULES = [
  { id: 'legs', priority: 10, when: { Modality: 'MR', SeriesDescription: { wildcard: '*leg*' }, Rows: { range: { min: 40 } } }, model: 'leg-demo', destinations: ['pacs'] },
  { id: 'axial', priority: 5, when: { SeriesDescription: { regex: 'axial$' }, ImageType: { present: true } }, model: 'leg-demo' },
  { id: 'arms', when: { SeriesDescription: { in: ['T2 ARM CORONAL'] }, Sender: { present: true } }, model: 'leg-demo' },
];

test.serial('rules API: every change is a new version with who and when; revert brings an old one back', async (t) => {
  // Rules may name only configured destinations (and installed models: the demo model is).
  await api(n.url, '/api/v1/destinations/pacs', { method: 'PUT', body: { name: 'pacs', url: 'http://127.0.0.1:9/dicom-web' } });
  const v1 = await api<RuleSetVersion>(n.url, '/api/v1/rules', { method: 'PUT', body: { rules: RULES } });
  t.is(v1.rules.length, 3);
  t.is(v1.actor, 'api:local');
  const v2 = await api<RuleSetVersion>(n.url, '/api/v1/rules/arms', { method: 'DELETE' });
  t.deepEqual(v2.rules.map((r) => r.id), ['legs', 'axial']);
  t.is(v2.action, 'delete');
  const history = await api<{ version: number; action: string; actor: string; createdAt: string }[]>(n.url, '/api/v1/rules/history');
  t.deepEqual(history.slice(0, 2).map((h) => h.action), ['delete', 'replace']);
  t.truthy(history[0]!.createdAt);
  const v3 = await api<RuleSetVersion>(n.url, `/api/v1/rules/versions/${v1.version}/revert`, { method: 'POST', body: {} });
  t.deepEqual(v3.rules.map((r) => r.id), ['legs', 'axial', 'arms']);
  t.is(v3.action, 'revert');
  const bad = await fetch(`${n.url}/api/v1/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', when: { Modality: { regex: '(' } }, model: 'm' }) });
  t.is(bad.status, 400);
  t.regex(((await bad.json()) as { message: string }).message, /regex/);
});

test.serial('dry-run: expected matches per series, and the two overlapping rules are flagged', async (t) => {
  const r = await api<DryRunResult>(n.url, '/api/v1/rules/dry-run', { body: { seriesInstanceUids: [uids.leg, uids.arm, uids.other] } });
  t.is(r.evaluated, 3);
  const byUid = new Map(r.matches.map((m) => [m.seriesInstanceUid, m]));
  t.deepEqual(byUid.get(uids.leg)?.matchedRules, ['legs', 'axial']);
  t.deepEqual(byUid.get(uids.leg)?.wouldRun.map((w) => [w.ruleId, w.model, w.destinations, w.plan.action]), [['legs', 'leg-demo', ['pacs'], 'direct']]);
  t.deepEqual(r.issues, [], 'the current set refers only to what the node has');
  t.deepEqual(byUid.get(uids.arm)?.matchedRules, ['arms'], 'Sender is recorded from the STOW token');
  t.false(byUid.has(uids.other), 'the localizer matches nothing');
  t.is(r.conflicts.length, 1);
  const c = r.conflicts[0]!;
  t.deepEqual([...c.rules].sort(), ['axial', 'legs']);
  t.deepEqual(c.series, [uids.leg]);
  t.true(c.sameModel);
  t.regex(c.resolution, /only "legs".*"axial" is shadowed/);
  // Why did the localizer not match "legs"? The details say which condition failed.
  const one = await api<DryRunResult>(n.url, '/api/v1/rules/dry-run', { body: { seriesInstanceUids: [uids.other], rule: RULES[0] } });
  const failed = one.matches[0]!.details.find((d) => d.ruleId === 'legs')!.conditions.filter((c) => !c.ok).map((c) => c.attribute);
  t.deepEqual(failed.sort(), ['Rows', 'SeriesDescription']);
});

test.serial('dry-run: the plane of each series and what the axial demo model would do with it; a Plane rule matches only its plane', async (t) => {
  const rules = [
    { id: 'axial-only', priority: 5, when: { Plane: 'axial' }, model: 'leg-demo' },
    { id: 'any-plane', when: { BodyPartExamined: 'LEG' }, model: 'leg-demo' },
    { id: 'missing', when: { Plane: { in: ['coronal'] } }, model: 'no-such-model' },
  ];
  const all = [uids.leg, planes.coarseCoronal, planes.fineCoronal, planes.oblique];
  const r = await api<DryRunResult>(n.url, '/api/v1/rules/dry-run', { body: { rules, seriesInstanceUids: all } });
  t.is(r.evaluated, 4);
  const byUid = new Map(r.matches.map((m) => [m.seriesInstanceUid, m]));
  const plan = (m: DryRunSeries | undefined, model: string) => m?.wouldRun.find((w) => w.model === model)?.plan;

  const axial = byUid.get(uids.leg)!;
  t.deepEqual(axial.plane, { plane: 'axial', nearest: 'axial', tiltDegrees: 0, text: 'axial' });
  t.deepEqual(axial.geometry, { slices: 6, spacing: [2.5, 2.5, 5] }, 'spacing from two headers: (last − first position) / 5');
  t.deepEqual(axial.matchedRules, ['axial-only', 'any-plane']);
  t.deepEqual(plan(axial, 'leg-demo'), { action: 'direct', target: 'axial', inPlaneSampling: 0, reason: 'axial series, axial model: slices used as acquired' });
  t.deepEqual(axial.wouldRun.map((w) => w.ruleId), ['axial-only'], 'same model: the higher priority rule runs');

  const coarse = byUid.get(planes.coarseCoronal)!;
  t.is(coarse.plane?.text, 'coronal');
  t.deepEqual(coarse.geometry, { slices: 6, spacing: [1.5, 1.5, 6] });
  t.deepEqual(coarse.matchedRules, ['any-plane', 'missing'], 'Plane: axial does not match a coronal series');
  t.deepEqual(plan(coarse, 'leg-demo'), { action: 'skip', target: 'axial', inPlaneSampling: 6, reason: 'skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model' });
  t.deepEqual(plan(coarse, 'no-such-model'), { action: 'model-not-installed', target: null, inPlaneSampling: null, reason: 'model "no-such-model" is not installed (installed: leg-demo)' });
  t.deepEqual(r.issues, [{ rule: 'missing', path: 'rules[2].model', message: 'model "no-such-model" is not installed (installed: leg-demo)' }], 'what saving this set would refuse');

  const fine = byUid.get(planes.fineCoronal)!;
  t.is(fine.plane?.plane, 'coronal');
  t.deepEqual(plan(fine, 'leg-demo'), { action: 'reformat', target: 'axial', inPlaneSampling: 2, reason: "coronal series reformatted to axial (sampling 2 mm in the model's plane)" });

  const oblique = byUid.get(planes.oblique)!;
  t.is(oblique.plane?.plane, 'oblique');
  t.is(oblique.plane?.nearest, 'axial');
  t.true(Math.abs(oblique.plane!.tiltDegrees - 24.9) < 0.1, `tilt ${oblique.plane?.tiltDegrees}° (20° about x, then 15° about y)`);
  t.is(oblique.plane?.text, 'oblique (25° from axial)');
  t.is(oblique.geometry?.slices, 6, 'one Enhanced MR instance, six frames');
  t.is(oblique.geometry?.spacing[2], 2);
  t.deepEqual(oblique.matchedRules, ['any-plane']);
  t.is(plan(oblique, 'leg-demo')?.action, 'reformat');
  t.regex(plan(oblique, 'leg-demo')!.reason, /^oblique \(25° from axial\) series reformatted to axial \(sampling 1\.\d mm in the model's plane\)$/);

  // The routing attribute itself, as the dry-run's condition details show it.
  const actual = (m: DryRunSeries) => m.details.find((d) => d.ruleId === 'axial-only')!.conditions[0]!.actual;
  t.deepEqual([axial, coarse, fine, oblique].map(actual), ['axial', 'coronal', 'coronal', 'oblique']);
});
