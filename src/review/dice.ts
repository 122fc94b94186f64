/**
 * Per-segment Dice between an AI label volume and its correction, both on the source grid:
 * how much the reader changed. Segments are paired by label (name), else by segment number, since
 * a viewer may renumber segments when it writes the corrected SEG.
 */
export interface SegmentRef {
  number: number;
  label: string;
}

export interface SegmentDice {
  segmentNumber: number;
  label: string;
  /** Segment number in the corrected SEG (null when the reader deleted the segment). */
  correctedSegmentNumber: number | null;
  aiVoxels: number;
  correctedVoxels: number;
  /** 2|A∩B| / (|A| + |B|); 1 when both are empty. */
  dice: number;
}

export function pairSegments(ai: readonly SegmentRef[], corrected: readonly SegmentRef[]): Map<number, number | null> {
  const byLabel = new Map(corrected.map((s) => [s.label.trim().toLowerCase(), s.number]));
  const numbers = new Set(corrected.map((s) => s.number));
  const out = new Map<number, number | null>();
  for (const s of ai) out.set(s.number, byLabel.get(s.label.trim().toLowerCase()) ?? (numbers.has(s.number) ? s.number : null));
  return out;
}

/** Dice for every AI segment; `a` and `b` are label volumes of the same length. */
export function perSegmentDice(a: Uint8Array, aiSegments: readonly SegmentRef[], b: Uint8Array, correctedSegments: readonly SegmentRef[]): SegmentDice[] {
  if (a.length !== b.length) throw new RangeError(`label volumes differ in size (${a.length} vs ${b.length})`);
  const pairs = pairSegments(aiSegments, correctedSegments);
  // One pass: counts per AI label, per corrected label, and of the overlap for each pair.
  const countA = new Float64Array(256), countB = new Float64Array(256), both = new Float64Array(256);
  const partner = new Int16Array(256).fill(-1);
  for (const [n, m] of pairs) if (m !== null) partner[n] = m;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    countA[x]++;
    countB[y]++;
    if (x !== 0 && partner[x] === y) both[x]++;
  }
  return aiSegments.map((s) => {
    const m = pairs.get(s.number) ?? null;
    const aiVoxels = countA[s.number]!;
    const correctedVoxels = m === null ? 0 : countB[m]!;
    const sum = aiVoxels + correctedVoxels;
    return { segmentNumber: s.number, label: s.label, correctedSegmentNumber: m, aiVoxels, correctedVoxels, dice: sum === 0 ? 1 : (2 * both[s.number]!) / sum };
  });
}
