/** Training / validation slices on the model grid: images already normalised as inference does. */
export interface SliceSet {
  /** n × height × width, row-major. */
  images: Float32Array;
  /** Label per pixel (0 = background, 1..K = card labels). */
  masks: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export function emptySliceSet(height: number, width: number): SliceSet {
  return { images: new Float32Array(0), masks: new Uint8Array(0), count: 0, height, width };
}

/** Slices [from, from + n) of a set, as views. */
export function sliceRange(s: SliceSet, from: number, n: number): SliceSet {
  const p = s.height * s.width;
  return { ...s, images: s.images.subarray(from * p, (from + n) * p), masks: s.masks.subarray(from * p, (from + n) * p), count: n };
}

/** The slices at `indices`, copied. */
export function pick(s: SliceSet, indices: readonly number[]): SliceSet {
  const p = s.height * s.width;
  const images = new Float32Array(indices.length * p);
  const masks = new Uint8Array(indices.length * p);
  indices.forEach((k, i) => {
    images.set(s.images.subarray(k * p, (k + 1) * p), i * p);
    masks.set(s.masks.subarray(k * p, (k + 1) * p), i * p);
  });
  return { ...s, images, masks, count: indices.length };
}

export function concatSets(sets: readonly SliceSet[]): SliceSet {
  if (sets.length === 0) throw new Error('concatSets: no sets');
  const { height, width } = sets[0]!;
  if (sets.some((s) => s.height !== height || s.width !== width)) throw new Error('concatSets: different slice sizes');
  const count = sets.reduce((a, s) => a + s.count, 0);
  const images = new Float32Array(count * height * width);
  const masks = new Uint8Array(count * height * width);
  let o = 0;
  for (const s of sets) {
    images.set(s.images.subarray(0, s.count * height * width), o);
    masks.set(s.masks.subarray(0, s.count * height * width), o);
    o += s.count * height * width;
  }
  return { images, masks, count, height, width };
}

/** The non-empty sets joined, or undefined when there are none (e.g. an absent rehearsal source). */
export function concatNonEmpty(sets: readonly (SliceSet | undefined)[]): SliceSet | undefined {
  const some = sets.filter((s): s is SliceSet => !!s && s.count > 0);
  return some.length === 0 ? undefined : some.length === 1 ? some[0] : concatSets(some);
}
