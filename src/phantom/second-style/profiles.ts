/**
 * One-dimensional profiles along the calf, s ∈ [−1, 1] (−1 ankle, +1 knee). Everything that changes
 * along the leg (radius, bone size, where a muscle turns into tendon) is one of these, so a
 * cross-section at any z is a pure function of s and the seed.
 */

/** Five knots at s = −1, −0.5, 0, 0.5, 1. */
export type Knots5 = readonly [number, number, number, number, number];

/** Catmull-Rom through five uniform knots; s outside [−1, 1] is clamped (the calf ends are extended). */
export function spline5(k: Knots5, s: number): number {
  const x = (Math.min(1, Math.max(-1, s)) + 1) * 2; // 0..4
  const i = Math.min(3, Math.floor(x));
  const t = x - i;
  const p0 = k[Math.max(0, i - 1)]!, p1 = k[i]!, p2 = k[i + 1]!, p3 = k[Math.min(4, i + 2)]!;
  const t2 = t * t, t3 = t2 * t;
  return 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t3);
}

export const smoothstep = (a: number, b: number, x: number): number => {
  if (a === b) return x < a ? 0 : 1;
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
};

/**
 * How much of a muscle belly exists at s: 0 below distalEnd, rising to 1 at distalFull, 1 up to
 * proximalFull, falling to 0 at proximalEnd. Ends beyond ±1 mean "never ends inside the calf".
 */
export interface Belly { distalEnd: number; distalFull: number; proximalFull: number; proximalEnd: number }

export function bellyFraction(b: Belly, s: number): number {
  return smoothstep(b.distalEnd, b.distalFull, s) * (1 - smoothstep(b.proximalFull, b.proximalEnd, s));
}

/**
 * Displacement of a structure along the calf: `distal` is reached at s = −1, `proximal` at s = +1.
 * The ease has zero slope at the mid-calf (no kink where the two halves meet) and at the ends.
 */
export function drift(base: number, distal: number, proximal: number, s: number): number {
  const c = Math.min(1, Math.max(-1, s));
  const t = Math.abs(c);
  return base + (c < 0 ? distal : proximal) * t * t * (3 - 2 * t);
}
