/**
 * Coordinate-wise robust aggregation of n update vectors (docs/federation.md "Merge").
 *  - 'mean': weighted mean (FedAvg).
 *  - 'trimmed-mean': per coordinate, drop the ⌊β·n⌋ smallest and largest values, weighted mean of the
 *    rest. Trimming is by COUNT, not by weight: the weights are self-declared training-slice counts,
 *    and a site claiming a huge count must not be able to shield its own outliers from the trim.
 *  - 'median': per coordinate, the unweighted median (same reason).
 * A column with no data (the delta had no such tensor) contributes 0 for every coordinate.
 */
export type Aggregation = 'mean' | 'trimmed-mean' | 'median';

export interface Column {
  data: Float32Array | undefined;
  /** Norm-clipping factor applied to this column's values. */
  scale: number;
}

export function aggregateCoordinates(columns: readonly Column[], weights: readonly number[], length: number, aggregation: Aggregation, trimFraction: number): Float32Array {
  const n = columns.length;
  const out = new Float32Array(length);
  if (n === 0) return out;
  const trim = aggregation === 'trimmed-mean' ? Math.floor(trimFraction * n) : 0;
  const value = (c: number, i: number) => (columns[c]!.data ? columns[c]!.data![i]! * columns[c]!.scale : 0);

  if (aggregation === 'mean' || (aggregation === 'trimmed-mean' && trim === 0)) {
    const total = weights.reduce((a, b) => a + b, 0);
    for (let c = 0; c < n; c++) {
      const w = weights[c]! / total;
      for (let i = 0; i < length; i++) out[i] = out[i]! + w * value(c, i);
    }
    return out;
  }
  // Insertion sort of n (value, column) pairs per coordinate: windows are small (n ≲ 50), and this
  // is ≈ 4× faster than Array.prototype.sort with a comparator (measured: 10 demo-size deltas).
  const vals = new Float64Array(n);
  const cols = new Int32Array(n);
  const data = columns.map((c) => c.data);
  const scale = columns.map((c) => c.scale);
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < n; c++) {
      const v = data[c] ? data[c]![i]! * scale[c]! : 0;
      let k = c - 1;
      while (k >= 0 && vals[k]! > v) {
        vals[k + 1] = vals[k]!;
        cols[k + 1] = cols[k]!;
        k--;
      }
      vals[k + 1] = v;
      cols[k + 1] = c;
    }
    if (aggregation === 'median') {
      const m = n >> 1;
      out[i] = n % 2 ? vals[m]! : (vals[m - 1]! + vals[m]!) / 2;
      continue;
    }
    let sum = 0, wsum = 0;
    for (let k = trim; k < n - trim; k++) {
      const w = weights[cols[k]!]!;
      sum += w * vals[k]!;
      wsum += w;
    }
    out[i] = sum / wsum;
  }
  return out;
}
