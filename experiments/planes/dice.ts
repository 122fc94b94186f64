/**
 * Dice of a predicted label volume against the phantom's exact labels, on the source grid: the
 * binary muscle Dice (any muscle vs background, what issue 14 quotes) and the mean over labels.
 */
export interface PlaneDice {
  /** All muscle labels merged: 2|P∩T| / (|P| + |T|). */
  muscle: number;
  /** Mean per-label Dice over the labels present in the truth. */
  meanLabel: number;
}

export function diceOf(pred: Uint8Array, truth: Uint8Array, labels: number): PlaneDice {
  if (pred.length !== truth.length) throw new RangeError(`label volumes differ in size (${pred.length} vs ${truth.length})`);
  const p = new Float64Array(labels + 1), t = new Float64Array(labels + 1), both = new Float64Array(labels + 1);
  let pm = 0, tm = 0, bm = 0;
  for (let i = 0; i < pred.length; i++) {
    const a = pred[i]!, b = truth[i]!;
    if (a > labels || b > labels) throw new RangeError(`label ${Math.max(a, b)} outside 0..${labels}`);
    p[a]++;
    t[b]++;
    if (a === b) both[a]++;
    if (a) pm++;
    if (b) tm++;
    if (a && b) bm++;
  }
  let sum = 0, n = 0;
  for (let l = 1; l <= labels; l++) {
    if (t[l] === 0) continue;
    sum += (2 * both[l]!) / (p[l]! + t[l]!);
    n++;
  }
  return { muscle: pm + tm ? (2 * bm) / (pm + tm) : 1, meanLabel: n ? sum / n : 1 };
}
