import test from 'ava';
import { pairSegments, perSegmentDice } from '../../src/review/dice.js';

test('Dice per segment: identical volumes give 1, changes lower it', (t) => {
  const ai = Uint8Array.from([0, 1, 1, 2, 2, 0]);
  const segs = [{ number: 1, label: 'soleus' }, { number: 2, label: 'tibia' }];
  t.deepEqual(perSegmentDice(ai, segs, ai, segs).map((d) => d.dice), [1, 1]);
  const corrected = Uint8Array.from([1, 1, 0, 2, 2, 0]);
  const [soleus, tibia] = perSegmentDice(ai, segs, corrected, segs);
  t.is(soleus!.dice, 0.5); // |A∩B| = 1, |A| = 2, |B| = 2
  t.is(tibia!.dice, 1);
});

test('segments are paired by label when the viewer renumbered them', (t) => {
  const ai = Uint8Array.from([1, 2]);
  const corrected = Uint8Array.from([2, 1]);
  const d = perSegmentDice(ai, [{ number: 1, label: 'A' }, { number: 2, label: 'B' }], corrected, [{ number: 1, label: 'B' }, { number: 2, label: 'a' }]);
  t.deepEqual(d.map((x) => [x.correctedSegmentNumber, x.dice]), [[2, 1], [1, 1]]);
});

test('a deleted segment has no partner and Dice 0; both empty is 1', (t) => {
  t.deepEqual([...pairSegments([{ number: 3, label: 'x' }], [])], [[3, null]]);
  const d = perSegmentDice(Uint8Array.from([3, 0]), [{ number: 3, label: 'x' }, { number: 4, label: 'empty' }], Uint8Array.from([0, 0]), [{ number: 4, label: 'empty' }]);
  t.deepEqual(d.map((x) => x.dice), [0, 1]);
});
