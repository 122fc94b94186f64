/**
 * A parametric model of the lower leg, defined in patient space (mm, LPS: +x patient's left,
 * +y posterior, +z head; PS3.3 C.7.6.2.1.1). The leg's long axis is the patient's z axis, the knee
 * joint line at z = 0 and the ankle at z = −length; `t = −z / length` runs 0 (knee) → 1 (ankle).
 *
 * Each cross-section is described in a leg-local frame (u lateral, v posterior, mm) by "blobs":
 * ellipses whose radius is modulated by three angular harmonics. A point's normalised distance to a
 * blob (1 on its boundary) decides where it is; the six muscles partition the space inside the deep
 * fascia by the smallest normalised distance, so they never overlap, and a thin septum separates
 * neighbours. Every parameter is a smooth function of t, so the 3D shapes taper: the gastrocnemius
 * heads end in the distal half, the soleus moves back as they vanish, the leg narrows to the ankle.
 *
 * The right leg lies on the patient's right (−x) and has lateral = −x; the left leg is its mirror
 * image. Same seed → same anatomy; `anatomyVariation` (0..1) scales every random perturbation.
 */
import { LEG_LABEL, type LabelSet } from './leg-labels.js';

export * from './leg-labels.js';

/** Tissue classes; muscle m (label 1..6) is TISSUE.muscle + m. */
export const TISSUE = {
  air: 0, skin: 1, fat: 2, fascia: 3, deepMuscle: 4, tibiaCortex: 5, tibiaMarrow: 6, fibulaCortex: 7, fibulaMarrow: 8, muscle: 10,
} as const;
export const TISSUE_COUNT = 17;

/** Tissue → label for a label set (a lookup table, so the voxel loop stays branch-free). */
export function labelLut(set: LabelSet): Uint8Array {
  const lut = new Uint8Array(TISSUE_COUNT);
  for (let m = 1; m <= 6; m++) lut[TISSUE.muscle + m] = m;
  if (set === 'all') {
    lut[TISSUE.fat] = LEG_LABEL.subcutaneousFat;
    lut[TISSUE.tibiaCortex] = lut[TISSUE.tibiaMarrow] = LEG_LABEL.tibia;
    lut[TISSUE.fibulaCortex] = lut[TISSUE.fibulaMarrow] = LEG_LABEL.fibula;
  }
  return lut;
}

/** Small, fast, seedable PRNG (32-bit state, SplitMix-style output mixing); returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** One blob of a cross-section, already evaluated at a given z. */
interface Blob {
  cu: number; cv: number; ru: number; rv: number; cos: number; sin: number;
  a1: number; b1: number; a2: number; b2: number; a3: number; b3: number;
  /** bounding radius for a cheap reject */
  reach: number;
  present: boolean;
}

export interface Section {
  outer: Blob;
  /** normalised-distance thresholds of the skin's inner surface and of the deep fascia */
  skinEdge: number;
  fasciaEdge: number;
  tibia: Blob; tibiaMarrow: number;
  fibula: Blob; fibulaMarrow: number;
  /** muscles[m − 1] is label m; muscles[6] is the unlabeled deep posterior compartment */
  muscles: Blob[];
}

/** Normalised distance of local point (u, v) to a blob: < 1 inside, 1 on the boundary. */
export function blobDistance(b: Blob, u: number, v: number): number {
  const du = u - b.cu, dv = v - b.cv;
  const a = (du * b.cos + dv * b.sin) / b.ru;
  const c0 = (dv * b.cos - du * b.sin) / b.rv;
  const rho = Math.sqrt(a * a + c0 * c0);
  if (rho === 0) return 0;
  const c = a / rho, s = c0 / rho;
  // Harmonics without trig: cos2θ = c² − s², sin2θ = 2cs, cos3θ = 4c³ − 3c, sin3θ = 3s − 4s³.
  const f = 1 + b.a1 * c + b.b1 * s + b.a2 * (c * c - s * s) + b.b2 * 2 * c * s + b.a3 * (4 * c * c * c - 3 * c) + b.b3 * (3 * s - 4 * s * s * s);
  return rho / f;
}

/** Base shape of a structure at mid-calf (right leg, local frame) and how it varies along t. */
interface Spec {
  cu: number; cv: number; ru: number; rv: number; rot: number; h: [number, number, number, number, number, number];
  /** size factor along the leg (0 = absent) */
  profile: (t: number) => number;
  /** bones keep their size when the leg narrows */
  bone?: boolean;
}

const smooth = (e0: number, e1: number, x: number): number => {
  const k = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return k * k * (3 - 2 * k);
};
const deg = Math.PI / 180;

// Mid-calf layout (mm), from axial MR anatomy: tibia anteromedial, fibula posterolateral, anterior
// compartment (TA, EDL) in front of the interosseous space, peroneus lateral, soleus a broad
// posterior crescent, the gastrocnemius heads superficial to it.
const SPECS: Spec[] = [
  { cu: -16, cv: -21, ru: 14, rv: 12, rot: 30 * deg, h: [0, 0, 0, 0, 0.12, 0], profile: (t) => 1 + 0.6 * (1 - smooth(0, 0.15, t)) + 0.3 * smooth(0.85, 1, t), bone: true },
  { cu: 22, cv: 4, ru: 7, rv: 6, rot: -20 * deg, h: [0, 0, 0.05, 0, 0.04, 0], profile: () => 1, bone: true },
  { cu: -2, cv: 20, ru: 40, rv: 15, rot: 0, h: [0, 0.1, 0.06, 0, 0, 0], profile: (t) => smooth(0.04, 0.25, t) * (1 - 0.85 * smooth(0.6, 0.97, t)) },
  { cu: -17, cv: 36, ru: 22, rv: 13, rot: 20 * deg, h: [-0.05, 0.05, 0, 0, 0, 0], profile: (t) => 1.1 - 1.1 * smooth(0.38, 0.78, t) },
  { cu: 15, cv: 36, ru: 15, rv: 11, rot: -15 * deg, h: [0.05, 0.04, 0, 0, 0, 0], profile: (t) => 1.15 - 1.15 * smooth(0.3, 0.68, t) },
  { cu: 2, cv: -28, ru: 13, rv: 12, rot: 20 * deg, h: [0, -0.06, 0, 0, 0.04, 0], profile: (t) => 1 - 0.5 * smooth(0.55, 0.95, t) },
  { cu: 17, cv: -20, ru: 9, rv: 12, rot: -20 * deg, h: [0, 0, 0.04, 0, 0, 0], profile: (t) => 0.8 + 0.2 * smooth(0, 0.3, t) - 0.35 * smooth(0.6, 1, t) },
  { cu: 33, cv: -4, ru: 11, rv: 16, rot: -15 * deg, h: [0.05, 0, 0, 0, 0, 0], profile: (t) => 1 - 0.5 * smooth(0.5, 1, t) },
  // Deep posterior compartment (tibialis posterior, flexor digitorum and hallucis longus): muscle
  // signal that is not one of the six labels, so a model must learn where the soleus ends.
  { cu: 2, cv: 6, ru: 18, rv: 11, rot: 0, h: [0, 0.05, 0, 0, 0, 0], profile: (t) => 1 - 0.3 * smooth(0.6, 1, t) },
];
const TIBIA = 0, FIBULA = 1, FIRST_MUSCLE = 2;

export interface LegAnatomyOptions {
  seed?: number;
  /** 0 = the canonical leg, 1 = strong variation (sizes ±15 %, offsets ±4 mm, shapes, profiles) */
  anatomyVariation?: number;
  legs?: 1 | 2;
  /** the single leg's side (legs: 1); default 'right' */
  side?: 'right' | 'left';
}

export interface LegAnatomy {
  /** Leg centres in patient x (one per leg) and their sign of "lateral" along x. */
  readonly legs: readonly { cx: number; cy: number; lateral: 1 | -1 }[];
  readonly length: number;
  /** Patient z of the largest calf circumference. */
  readonly calfZ: number;
  sectionAt(z: number): Section;
  /** Tissue class at patient point (x, y, z). */
  tissueAt(x: number, y: number, z: number): number;
  /** Tissue class at (x, y) of an already evaluated section. */
  tissueIn(section: Section, x: number, y: number): number;
}

export function legAnatomy(opts: LegAnatomyOptions = {}): LegAnatomy {
  const vary = Math.min(1, Math.max(0, opts.anatomyVariation ?? 0.5));
  const rnd = seededRandom((opts.seed ?? 1) ^ 0x1e6a);
  const jitter = (amount: number) => (rnd() * 2 - 1) * amount * vary;
  const length = 380 * (1 + jitter(0.08));
  const legScale = 1 + jitter(0.12);
  const fat = 6 + jitter(3);
  const twist = jitter(10 * deg); // external rotation of the whole leg
  const profileShift = jitter(0.05);
  const per = SPECS.map((s) => ({
    du: jitter(4), dv: jitter(4), size: 1 + jitter(0.15), rot: jitter(15 * deg),
    h: s.h.map((h) => h + jitter(0.06)), wobble: jitter(2), phase: rnd() * 2 * Math.PI,
  }));
  const outerH: Spec['h'] = [0, 0.08, 0.03, 0, 0, 0];
  const septum = 0.8; // mm

  const blob = (s: Spec, p: (typeof per)[number] | undefined, t: number, leg: number): Blob => {
    const size = s.profile(Math.min(1, Math.max(0, t + profileShift))) * (p?.size ?? 1);
    const place = leg; // positions follow the leg's outline
    const radial = s.bone ? 1 : leg;
    const wob = p ? p.wobble * Math.sin(2 * Math.PI * 1.5 * t + p.phase) : 0;
    const cu0 = (s.cu + (p?.du ?? 0) + wob) * place, cv0 = (s.cv + (p?.dv ?? 0)) * place;
    const rot = s.rot + (p?.rot ?? 0);
    const cu = cu0 * Math.cos(twist) - cv0 * Math.sin(twist), cv = cu0 * Math.sin(twist) + cv0 * Math.cos(twist);
    const h = p?.h ?? s.h;
    const ru = s.ru * size * radial, rv = s.rv * size * radial;
    return {
      cu, cv, ru: Math.max(ru, 1e-3), rv: Math.max(rv, 1e-3), cos: Math.cos(rot + twist), sin: Math.sin(rot + twist),
      a1: h[0]!, b1: h[1]!, a2: h[2]!, b2: h[3]!, a3: h[4]!, b3: h[5]!,
      reach: Math.max(ru, rv) * 1.5, present: size > 0.05,
    };
  };

  function computeSection(z: number): Section {
    const t = Math.min(1, Math.max(0, -z / length));
    // Calf circumference peaks in the upper third and falls to ~60 % at the ankle.
    const leg = legScale * (0.62 + 0.38 * Math.exp(-(((t - 0.3) / 0.45) ** 2)));
    const outer = blob({ cu: 0, cv: 0, ru: 50, rv: 47, rot: 0, h: outerH, profile: () => 1 }, undefined, t, leg);
    const meanR = (outer.ru + outer.rv) / 2;
    const muscles = SPECS.slice(FIRST_MUSCLE).map((s, i) => blob(s, per[FIRST_MUSCLE + i], t, leg));
    // As the gastrocnemius heads vanish distally the soleus takes their place behind the deep compartment.
    const gm = SPECS[FIRST_MUSCLE + 1]!.profile(t), sol = muscles[0]!;
    sol.cv += 9 * leg * (1 - Math.min(1, gm));
    sol.rv *= 1 + 0.35 * (1 - Math.min(1, gm));
    const tibia = blob(SPECS[TIBIA]!, per[TIBIA], t, leg), fibula = blob(SPECS[FIBULA]!, per[FIBULA], t, leg);
    return {
      outer, skinEdge: 1 - 1.5 / meanR, fasciaEdge: 1 - (1.5 + fat) / meanR, muscles,
      tibia, tibiaMarrow: 1 - 4.5 / ((tibia.ru + tibia.rv) / 2), fibula, fibulaMarrow: 1 - 2.5 / ((fibula.ru + fibula.rv) / 2),
    };
  }

  // Sections are evaluated at z quantised to 0.1 mm, so the anatomy is a pure function of the point.
  const cache = new Map<number, Section>();
  const sectionAt = (z: number): Section => {
    const key = Math.round(z * 10);
    let s = cache.get(key);
    if (!s) {
      if (cache.size > 20000) cache.clear();
      s = computeSection(key / 10);
      cache.set(key, s);
    }
    return s;
  };

  const gap = 25 * legScale;
  const legs = opts.legs === 2
    ? [{ cx: -(50 * legScale + gap / 2), cy: 0, lateral: -1 as const }, { cx: 50 * legScale + gap / 2, cy: 0, lateral: 1 as const }]
    : [{ cx: 0, cy: 0, lateral: (opts.side === 'left' ? 1 : -1) as 1 | -1 }];

  function tissueIn(s: Section, x: number, y: number): number {
    // The nearest leg owns the point (legs are separated by a gap of air).
    let L = legs[0]!;
    if (legs.length > 1 && Math.abs(x - legs[1]!.cx) < Math.abs(x - L.cx)) L = legs[1]!;
    const u = (x - L.cx) * L.lateral, v = y - L.cy;
    const o = s.outer;
    if (Math.abs(u - o.cu) > o.reach || Math.abs(v - o.cv) > o.reach) return TISSUE.air;
    const dOuter = blobDistance(o, u, v);
    if (dOuter >= 1) return TISSUE.air;
    if (dOuter >= s.skinEdge) return TISSUE.skin;
    // Bones before the fat: the tibia's anteromedial surface is subcutaneous.
    const dt = blobDistance(s.tibia, u, v);
    if (dt < 1) return dt < s.tibiaMarrow ? TISSUE.tibiaMarrow : TISSUE.tibiaCortex;
    const df = blobDistance(s.fibula, u, v);
    if (df < 1) return df < s.fibulaMarrow ? TISSUE.fibulaMarrow : TISSUE.fibulaCortex;
    if (dOuter >= s.fasciaEdge) return TISSUE.fat;
    let best = -1, d1 = Infinity, d2 = Infinity, r1 = 1, r2 = 1;
    for (let m = 0; m < 7; m++) {
      const b = s.muscles[m]!;
      if (!b.present || Math.abs(u - b.cu) > b.reach || Math.abs(v - b.cv) > b.reach) continue;
      const d = blobDistance(b, u, v);
      const r = (b.ru + b.rv) / 2;
      if (d < d1) { d2 = d1; r2 = r1; d1 = d; r1 = r; best = m; } else if (d < d2) { d2 = d; r2 = r; }
    }
    if (best < 0 || d1 >= 1) return TISSUE.deepMuscle;
    // A thin septum (fascia) around each muscle and between neighbours; (d2 − d1) / (1/r1 + 1/r2) is
    // roughly the distance in mm to the equal-distance boundary.
    if ((1 - d1) * r1 < septum || (d2 - d1) / (1 / r1 + 1 / r2) < septum / 2) return TISSUE.fascia;
    return best === 6 ? TISSUE.deepMuscle : TISSUE.muscle + best + 1;
  }

  return {
    legs, length, calfZ: -0.3 * length, sectionAt, tissueIn,
    tissueAt: (x, y, z) => tissueIn(sectionAt(z), x, y),
  };
}
