/**
 * Completeness hints: how long a series must be quiet before it counts as stable. Pure.
 *
 * - complete: one multi-frame instance (an enhanced object holds the whole series, PS3.3 C.7.6.16),
 *   or Instance Numbers contiguous from 1 with as many instances as Images in Acquisition
 *   (0020,1002) announces → a quarter of the quiet period;
 * - incomplete: a gap in the Instance Numbers, or fewer instances than announced → the quiet
 *   period × 4, at most `maxWaitSeconds` (the missing instances may still come);
 * - otherwise: the quiet period.
 */
export interface CompletenessInput {
  instanceNumbers: (number | null)[];
  numberOfFrames: (number | null)[];
  expectedInstances: number | null;
}

export interface StabilityWait {
  seconds: number;
  hint: 'complete' | 'incomplete' | 'unknown';
  why: string;
}

export function stabilityWait(s: CompletenessInput, quietSeconds: number, maxWaitSeconds: number): StabilityWait {
  const n = s.instanceNumbers.length;
  if (n === 1 && (s.numberOfFrames[0] ?? 1) > 1) return { seconds: quietSeconds / 4, hint: 'complete', why: 'one multi-frame instance' };
  const nums = s.instanceNumbers.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const distinct = [...new Set(nums)];
  const gap = distinct.length > 1 && distinct[distinct.length - 1]! - distinct[0]! + 1 > distinct.length;
  if (s.expectedInstances !== null && n < s.expectedInstances) {
    return { seconds: Math.min(maxWaitSeconds, quietSeconds * 4), hint: 'incomplete', why: `${n} of ${s.expectedInstances} instances (Images in Acquisition)` };
  }
  if (gap) return { seconds: Math.min(maxWaitSeconds, quietSeconds * 4), hint: 'incomplete', why: 'gap in Instance Numbers' };
  const contiguousFromOne = distinct.length === n && n > 0 && distinct[0] === 1 && distinct[n - 1] === n;
  if (s.expectedInstances !== null && n === s.expectedInstances && contiguousFromOne) {
    return { seconds: quietSeconds / 4, hint: 'complete', why: `all ${n} instances announced by Images in Acquisition` };
  }
  return { seconds: quietSeconds, hint: 'unknown', why: 'quiet period' };
}
