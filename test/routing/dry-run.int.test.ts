import test from 'ava';
import type { DryRunResult } from '../../src/routing/dry-run.js';
import type { RuleSetVersion } from '../../src/routing/rule-store.js';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { api, legSeries } from '../helpers/routing-fixture.js';

/**
 * Rules through /api/v1/rules (versioned with who / when, revertible) and the dry-run against
 * stored series: the expected matches, and two overlapping rules flagged.
 */
let n: TestNode;
let uids: { leg: string; arm: string; other: string };

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
});

test.after.always(async () => {
  await n?.close();
});

const RULES = [
  { id: 'legs', priority: 10, when: { Modality: 'MR', SeriesDescription: { wildcard: '*leg*' }, Rows: { range: { min: 40 } } }, model: 'leg', destinations: ['pacs'] },
  { id: 'axial', priority: 5, when: { SeriesDescription: { regex: 'axial$' }, ImageType: { present: true } }, model: 'leg' },
  { id: 'arms', when: { SeriesDescription: { in: ['T2 ARM CORONAL'] }, Sender: { present: true } }, model: 'arm' },
];

test.serial('rules API: every change is a new version with who and when; revert brings an old one back', async (t) => {
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
  t.deepEqual(byUid.get(uids.leg)?.wouldRun, [{ ruleId: 'legs', model: 'leg', destinations: ['pacs'] }]);
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
