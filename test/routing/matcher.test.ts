import test from 'ava';
import { stabilityWait } from '../../src/routing/completeness.js';
import { evaluateCondition, evaluateRules } from '../../src/routing/matcher.js';
import { ruleSchema, ruleSetSchema } from '../../src/routing/rule-types.js';

test('conditions: equals, wildcard, regex, list, range, present / absent; multi-valued attributes', (t) => {
  t.true(evaluateCondition({ equals: 'mr' }, 'MR'));
  t.false(evaluateCondition({ equals: 'mr', ignoreCase: false }, 'MR'));
  t.true(evaluateCondition({ wildcard: 'T1*ax?al' }, 'T1 fse axial'));
  t.false(evaluateCondition({ wildcard: 'T1*' }, 'PD T1'));
  t.true(evaluateCondition({ regex: '^t[12]\\b' }, 'T2 cor'));
  t.true(evaluateCondition({ in: ['LEG', 'CALF'] }, 'calf'));
  t.true(evaluateCondition({ range: { min: 0.5, max: 2 } }, [0.9, 0.9]));
  t.false(evaluateCondition({ range: { min: 0.5, max: 2 } }, [0.9, 2.5]));
  t.true(evaluateCondition({ range: { min: 256 } }, 512));
  t.true(evaluateCondition({ present: false }, null));
  t.true(evaluateCondition({ present: false }, ''));
  t.false(evaluateCondition({ present: true }, []));
  t.true(evaluateCondition({ equals: 'PRIMARY' }, ['ORIGINAL', 'PRIMARY', 'M']));
  t.true(evaluateCondition({ wildcard: 'ORIGINAL\\PRIMARY*' }, ['ORIGINAL', 'PRIMARY', 'M']));
  t.false(evaluateCondition({ equals: 'x' }, null), 'an absent attribute matches only present: false');
});

test('rules: validation, shorthand, priority order of matches', (t) => {
  const r = ruleSchema.parse({ id: 'a', when: { Modality: 'MR', Rows: 256 }, model: 'leg', destinations: ['pacs', { name: 'other', seg: { labels: ['low'] } }] });
  t.deepEqual(r.when.Modality, { equals: 'MR' });
  t.deepEqual(r.destinations, [{ name: 'pacs', seg: {} }, { name: 'other', seg: { labels: ['low'] } }]);
  t.is(r.review, 'immediate');
  t.false(ruleSchema.safeParse({ id: 'b', when: { Modality: { equals: 'MR', regex: 'x' } }, model: 'm' }).success, 'one operator per condition');
  t.false(ruleSchema.safeParse({ id: 'b', when: { PatientName: 'x' }, model: 'm' }).success, 'only routing attributes');
  t.false(ruleSetSchema.safeParse([{ id: 'a', model: 'm' }, { id: 'a', model: 'n' }]).success, 'unique ids');
  const rules = ruleSetSchema.parse([
    { id: 'low', priority: 1, when: { Modality: 'MR' }, model: 'm' },
    { id: 'high', priority: 9, when: { Modality: 'MR' }, model: 'm' },
    { id: 'off', enabled: false, when: {}, model: 'm' },
  ]);
  t.deepEqual(evaluateRules(rules, { Modality: 'MR' }).matched.map((m) => m.id), ['high', 'low']);
});

test('completeness hints shorten or extend the quiet period', (t) => {
  const base = { numberOfFrames: [null, null, null], expectedInstances: null };
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 3] }, 8, 100).seconds, 8);
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 3], expectedInstances: 3 }, 8, 100).hint, 'complete');
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 3], expectedInstances: 3 }, 8, 100).seconds, 2);
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 5] }, 8, 100).seconds, 32);
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 5] }, 8, 20).seconds, 20, 'capped by maxWait');
  t.is(stabilityWait({ ...base, instanceNumbers: [1, 2, 3], expectedInstances: 10 }, 8, 100).hint, 'incomplete');
  t.is(stabilityWait({ instanceNumbers: [1], numberOfFrames: [40], expectedInstances: null }, 8, 100).hint, 'complete');
});

test('config/routing.example.yaml is a valid rule set', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { REPO_ROOT } = await import('../helpers/node-process.js');
  const doc = parse(readFileSync(`${REPO_ROOT}/config/routing.example.yaml`, 'utf8')) as { rules: unknown };
  const rules = ruleSetSchema.parse(doc.rules);
  t.deepEqual(rules.map((r) => r.id), ['leg-mr', 'leg-mr-review']);
  t.true(evaluateCondition(rules[0]!.when.ImageType!, ['ORIGINAL', 'PRIMARY', 'M']));
});
