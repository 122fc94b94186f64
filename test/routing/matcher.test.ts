import test from 'ava';
import { stabilityWait } from '../../src/routing/completeness.js';
import { evaluateCondition, evaluateRules } from '../../src/routing/matcher.js';
import { orientationVectors } from '../../src/phantom/leg-phantom.js';
import { planeAttribute } from '../../src/routing/routing-attributes.js';
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
  t.deepEqual(rules.map((r) => r.id), ['leg-mr', 'leg-mr-review', 'leg-mr-coronal', 'leg-mr-study']);
  t.is(rules[3]!.trigger, 'study');
  t.deepEqual(rules[3]!.study?.requiredSeries.map((x) => x.name), ['t1', 'dixon']);
  t.deepEqual(rules[2]!.when.Plane, { in: ['coronal', 'sagittal', 'oblique'] });
  t.true(evaluateCondition(rules[0]!.when.ImageType!, ['ORIGINAL', 'PRIMARY', 'M']));
});

test('Plane: derived from Image Orientation (Patient), matched like any attribute; no orientation, no Plane', (t) => {
  const iop = (o: Parameters<typeof orientationVectors>[0]): number[] => {
    const { row, column } = orientationVectors(o);
    return [...row, ...column];
  };
  t.is(planeAttribute(iop('axial')), 'axial');
  t.is(planeAttribute(iop('coronal')), 'coronal');
  t.is(planeAttribute(iop('sagittal')), 'sagittal');
  t.is(planeAttribute(iop('oblique')), 'oblique', 'the phantom oblique: the normal about 25° from the head-feet axis');
  // A mirrored axial (column anterior, normal to the feet) is still axial; an explicit sagittal IOP.
  t.is(planeAttribute([1, 0, 0, 0, -1, 0]), 'axial');
  t.is(planeAttribute([0, 1, 0, 0, 0, -1]), 'sagittal');
  // The 15° boundary (PS3.3 C.7.6.2.1.1 normal = row × column): an axial tilted 14° about x, then 16°.
  const tilted = (deg: number): number[] => {
    const a = (deg * Math.PI) / 180;
    return [1, 0, 0, 0, Math.cos(a), Math.sin(a)];
  };
  t.is(planeAttribute(tilted(14)), 'axial');
  t.is(planeAttribute(tilted(16)), 'oblique');
  t.is(planeAttribute(undefined), null);
  t.is(planeAttribute([]), null);
  t.is(planeAttribute([1, 0, 0, 1, 0, 0]), null, 'parallel row and column: not an orientation');
  t.is(planeAttribute([0, 0, 0, 0, 0, 0]), null);

  const rules = ruleSetSchema.parse([
    { id: 'axial', when: { Plane: 'axial' }, model: 'm' },
    { id: 'not-axial', when: { Plane: { in: ['coronal', 'sagittal', 'oblique'] } }, model: 'n' },
    { id: 'no-plane', when: { Plane: { present: false } }, model: 'o' },
    { id: 'upper', when: { Plane: 'CORONAL' }, model: 'p' },
  ]);
  const ids = (iopValues: number[] | undefined) => evaluateRules(rules, { Modality: 'MR', Plane: planeAttribute(iopValues) }).matched.map((r) => r.id).sort();
  t.deepEqual(ids(iop('axial')), ['axial']);
  t.deepEqual(ids(iop('coronal')), ['not-axial', 'upper'], 'text comparison ignores case, as for every attribute');
  t.deepEqual(ids(iop('sagittal')), ['not-axial']);
  t.deepEqual(ids(iop('oblique')), ['not-axial']);
  t.deepEqual(ids(undefined), ['no-plane'], 'a series without IOP matches no Plane condition but present: false');
  t.true(ruleSchema.safeParse({ id: 'x', when: { Plane: 'axial' }, model: 'm' }).success, 'Plane is a routing attribute');
});
