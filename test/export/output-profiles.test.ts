import test from 'ava';
import { destinationSchema } from '../../src/export/destination-store.js';
import { effectiveProfiles, type OutputProfile } from '../../src/export/output-profiles.js';
import { deliveryItems } from '../../src/export/profile-items.js';
import { ruleSchema } from '../../src/routing/rule-types.js';
import { dixonKind, findDixonPair } from '../../src/sr/dixon.js';

const rule = (destinations: unknown[]) => ({ id: 'r', model: 'm', destinations });

test('rule destinations: profiles parsed, unknown or repeated ones refused with the field', (t) => {
  const ok = ruleSchema.parse(rule(['pacs', { name: 'web', profiles: ['sr', 'sc-overlay'] }]));
  t.deepEqual(ok.destinations, [{ name: 'pacs', seg: {} }, { name: 'web', seg: {}, profiles: ['sr', 'sc-overlay'] }]);
  const bad = ruleSchema.safeParse(rule([{ name: 'web', profiles: ['seg', 'rtstruct'] }]));
  t.false(bad.success);
  t.deepEqual(bad.error?.issues[0]?.path, ['destinations', 0, 'profiles', 1]);
  t.false(ruleSchema.safeParse(rule([{ name: 'web', profiles: ['sr', 'sr'] }])).success);
  t.false(ruleSchema.safeParse(rule([{ name: 'web', profiles: [] }])).success);
  t.false(destinationSchema.safeParse({ name: 'd', url: 'http://x/dicom-web', profiles: ['overlay'] }).success);
  t.deepEqual(destinationSchema.parse({ name: 'd', url: 'http://x/dicom-web', profiles: ['sr'] }).profiles, ['sr']);
});

test('effective profiles: the rule entry, else the destination, else seg; delivery items per profile', (t) => {
  t.deepEqual(effectiveProfiles(undefined, undefined), ['seg']);
  t.deepEqual(effectiveProfiles(undefined, ['sr']), ['sr']);
  t.deepEqual(effectiveProfiles(['seg', 'sc-overlay'], ['sr']), ['seg', 'sc-overlay']);
  const dests = [{ name: 'a', seg: {} }, { name: 'b', seg: { labels: ['x'] } }];
  const items = deliveryItems(dests, new Map<string, OutputProfile[]>([['a', ['seg', 'sr']], ['b', ['sc-overlay']]]), new Map([['default', 'SEG1'], ['{"labels":["x"]}', 'SEG2']]), { sr: 'SR1', overlay: [{ sop: 'SC1' }, { sop: 'SC2' }] });
  t.deepEqual(items, [
    { destination: 'a', sopInstanceUid: 'SEG1' },
    { destination: 'a', sopInstanceUid: 'SR1' },
    { destination: 'b', sopInstanceUid: 'SC1' },
    { destination: 'b', sopInstanceUid: 'SC2' },
  ]);
});

test('Dixon series: Image Type first, then Series Description words; fractions and phases are neither; one pair or none', (t) => {
  t.is(dixonKind({ seriesInstanceUid: '1', imageType: ['DERIVED', 'PRIMARY', 'DIXON', 'FAT'] }), 'fat');
  t.is(dixonKind({ seriesInstanceUid: '1', imageType: ['DERIVED', 'PRIMARY', 'W'] }), 'water');
  t.is(dixonKind({ seriesInstanceUid: '1', imageType: ['DERIVED', 'PRIMARY', 'FF'] }), undefined);
  t.is(dixonKind({ seriesInstanceUid: '1', seriesDescription: 't1_vibe_dixon_tra_W' }), 'water');
  t.is(dixonKind({ seriesInstanceUid: '1', seriesDescription: 'Dixon FAT' }), 'fat');
  t.is(dixonKind({ seriesInstanceUid: '1', seriesDescription: 'dixon fat fraction' }), undefined);
  t.is(dixonKind({ seriesInstanceUid: '1', seriesDescription: 'dixon_opp' }), undefined);
  t.is(dixonKind({ seriesInstanceUid: '1', seriesDescription: 'T1 leg axial' }), undefined);
  t.deepEqual(findDixonPair([{ seriesInstanceUid: 'f', seriesDescription: 'dixon F' }, { seriesInstanceUid: 'w', seriesDescription: 'dixon W' }, { seriesInstanceUid: 'i', seriesDescription: 'dixon in' }]), { fat: 'f', water: 'w' });
  t.true('none' in findDixonPair([{ seriesInstanceUid: 'f', seriesDescription: 'fat' }, { seriesInstanceUid: 'g', seriesDescription: 'fat' }, { seriesInstanceUid: 'w', seriesDescription: 'water' }]));
  t.true('none' in findDixonPair([{ seriesInstanceUid: 'x', seriesDescription: 'T1' }]));
});
