/**
 * The seeded anatomy of one second-style phantom: a right calf described by its outline, two bones and
 * a weighted Voronoi (power-diagram) partition of the muscle compartment. Positions are fractions of
 * the local leg radius in (m, p) coordinates: +m medial (patient left, +x, for the right leg), +p
 * posterior (+y). Written from anatomy texts' description of the mid-calf cross-section, not from the
 * first phantom style, so a model trained on that style meets a layout it has not seen. Inner
 * positions are in units of the muscle compartment's mean radius Rm (skin radius − skin − fat).
 */
import { seededRandom } from '../leg-anatomy.js';
import type { Vec3 } from '../../dicom/volume.js';
import { NOMINAL_CENTRE } from './options.js';
import type { Belly, Knots5 } from './profiles.js';
import { M, MUSCLE_BASE, TISSUE } from './tissues.js';

export interface BonePlan {
  base: [number, number]; distal: [number, number]; proximal: [number, number];
  /** radius in mm along the calf */
  radius: Knots5;
  cortex: Knots5;
  /** shape harmonics of the outline around the bone centre (relative) and their rotation */
  h2: number; h3: number; rotation: number;
}

export interface SitePlan {
  /** tissue code of the cell: a muscle, fat or tendon */
  tissue: number;
  /** fascia is drawn between sites of different groups; −1 = never (fat, tendon) */
  group: number;
  base: [number, number]; distal: [number, number]; proximal: [number, number];
  /** power weight in units of R² */
  weight: number;
  belly: Belly;
  /** distal / proximal fade: a belly that ends in a tendon shrinks around it, one that 'vanish'es cedes its cell */
  distalMode: 'tendon' | 'vanish';
  proximalMode: 'tendon' | 'vanish';
  /** radius (mm) of the tendon once the belly is gone; aspect > 1 = wider medio-laterally */
  tendon: number; aspect: number;
}

export interface VesselPlan { where: 'fat' | 'deep'; /** fat: angle (rad, 0 medial, π/2 posterior); deep: (m, p) */ at: [number, number]; radius: number; belly: Belly }

export interface AnatomyPlan {
  seed: number;
  /** mid-calf point of the leg axis (patient LPS, mm) and the axis' drift in x and y per mm of z */
  axisPoint: Vec3;
  tilt: [number, number];
  calfLength: number;
  /** nominal mid-calf radius, mm, and the radius along the calf relative to it */
  radius: number;
  radiusProfile: Knots5;
  /** outline harmonics (relative): cos nθ in a[n−1], sin nθ in b[n−1], n = 1..4 */
  outlineA: number[]; outlineB: number[];
  /** subcutaneous fat: thickness (mm) at mid-calf, its angular harmonics (n = 1..3) and relative profile */
  fat: number; fatA: number[]; fatB: number[]; fatProfile: Knots5;
  /** fraction by which the fat thins over the tibia's subcutaneous (anteromedial) face */
  tibialFatDip: number;
  skin: number;
  tibia: BonePlan;
  fibula: BonePlan;
  sites: SitePlan[];
  vessels: VesselPlan[];
  /** domain warp of the partition: amplitude (× R), wave numbers (rad/mm), phases and their twist along s */
  warp: { amplitude: number; k1: number; k2: number; phase1: number; phase2: number; twist1: number; twist2: number };
  /** per-muscle signal gain (±8 %) */
  muscleGain: number[];
}

const ALWAYS: Belly = { distalEnd: -3, distalFull: -2, proximalFull: 2, proximalEnd: 3 };

export function anatomyPlan(seed: number): AnatomyPlan {
  const rnd = seededRandom((seed ^ 0x2c1b3c6d) >>> 0);
  const u = (a: number, b: number) => a + (b - a) * rnd();
  const j = (x: number, d: number) => x + u(-d, d);
  const pos = (m: number, p: number, d = 0.04): [number, number] => [j(m, d), j(p, d)];

  const radius = u(40, 60);
  const offset = u(0, 15), offsetAngle = u(0, 2 * Math.PI);
  const tiltAngle = u(0, 5) * Math.PI / 180, tiltAzimuth = u(0, 2 * Math.PI);
  const scale = radius / 50;

  // The calf bulges in its upper third and narrows to about 60 % at the ankle.
  const bulge = u(1.03, 1.1), ankle = u(0.55, 0.68);
  const radiusProfile: Knots5 = [ankle, j((ankle + 1) / 2 + 0.03, 0.03), 1, bulge, j(0.93, 0.04)];

  // Gastrocnemius heads end around the middle of the calf, the lateral one higher; soleus goes lower.
  const gmEnd = u(-0.45, -0.22), glEnd = gmEnd + u(0.04, 0.14), solEnd = u(-0.92, -0.76);
  const site = (tissue: number, group: number, base: [number, number], distal: [number, number], proximal: [number, number], weight: number,
    belly: Belly, distalMode: SitePlan['distalMode'], proximalMode: SitePlan['proximalMode'], tendon = 0, aspect = 1): SitePlan =>
    ({ tissue, group, base, distal, proximal, weight: j(weight, 0.02), belly, distalMode, proximalMode, tendon: tendon * scale, aspect });
  const muscle = (m: number) => MUSCLE_BASE + m;
  const belly = (distalEnd: number, distalFull: number, proximalFull = 2, proximalEnd = 3): Belly =>
    ({ distalEnd: j(distalEnd, 0.05), distalFull: j(distalFull, 0.05), proximalFull, proximalEnd });

  const ta = belly(-0.72, -0.3), edl = belly(-0.88, -0.45), per = belly(-0.9, -0.5), tp = belly(-0.8, -0.35);
  const fdl = belly(-0.88, -0.45, j(0.5, 0.05), j(0.8, 0.05)), fhl = belly(-1.05, -0.65, j(0.05, 0.08), j(0.45, 0.06));
  const ehl = belly(-1.05, -0.6, j(-0.05, 0.06), j(0.25, 0.06));
  const sol = belly(solEnd, solEnd + 0.35, j(0.62, 0.05), j(0.95, 0.04));
  const gm: Belly = { distalEnd: gmEnd, distalFull: gmEnd + u(0.25, 0.35), proximalFull: 2, proximalEnd: 3 };
  const gl: Belly = { distalEnd: glEnd, distalFull: glEnd + u(0.2, 0.3), proximalFull: 2, proximalEnd: 3 };
  const pop: Belly = { distalEnd: j(0.68, 0.04), distalFull: j(0.88, 0.04), proximalFull: 2, proximalEnd: 3 };
  // Achilles: grows as the gastrocnemius aponeurosis gathers, full by the lower third.
  const achilles: Belly = { distalEnd: -3, distalFull: -2, proximalFull: gmEnd - 0.25, proximalEnd: gmEnd + 0.1 };
  const kager: Belly = { distalEnd: -3, distalFull: -2, proximalFull: j(-0.6, 0.05), proximalEnd: j(-0.35, 0.05) };

  const sites: SitePlan[] = [
    // anterior compartment: TA against the tibia's lateral face, EDL lateral to it, EHL deep between them distally
    site(muscle(M.TA), M.TA, pos(-0.1, -0.78), [0.3, -0.02], [0, 0.02], 0.03, ta, 'tendon', 'tendon', 2.8),
    site(muscle(M.TA), M.TA, pos(-0.06, -0.52), [0.3, -0.2], [0, 0], 0.03, ta, 'tendon', 'tendon', 0),
    site(muscle(M.EDL), M.EDL, pos(-0.42, -0.68), [0.05, -0.05], [0, 0], -0.015, edl, 'tendon', 'tendon', 2.4),
    site(muscle(M.EDL), M.EDL, pos(-0.52, -0.42), [0.05, -0.15], [0, 0], -0.015, edl, 'tendon', 'tendon', 0),
    site(muscle(M.EHL), M.EHL, pos(-0.27, -0.5), [0.12, -0.2], [0, 0], -0.02, ehl, 'tendon', 'vanish', 2.2),
    // lateral compartment: peroneus longus and brevis around the fibula
    site(muscle(M.PER), M.PER, pos(-0.9, -0.14), [0.05, 0.12], [0, 0.05], 0.01, per, 'tendon', 'tendon', 2.6),
    site(muscle(M.PER), M.PER, pos(-0.86, 0.2), [0.1, 0.05], [0, 0.05], 0.01, per, 'tendon', 'tendon', 0),
    // deep posterior compartment behind the interosseous membrane (unlabelled)
    site(muscle(M.TP), M.TP, pos(-0.14, -0.06), [0.45, -0.08], [0, 0.02], 0, tp, 'tendon', 'tendon', 2.6),
    site(muscle(M.FDL), M.FDL, pos(0.23, -0.12), [0.2, -0.02], [0, 0], -0.03, fdl, 'tendon', 'vanish', 2),
    site(muscle(M.FHL), M.FHL, pos(-0.44, 0.27), [0.35, -0.05], [0, 0], 0, fhl, 'tendon', 'vanish', 2.4),
    site(muscle(M.POP), M.POP, pos(0.05, -0.05), [0, 0], [0.05, 0.05], 0.02, pop, 'vanish', 'tendon', 0),
    // superficial posterior: a soleus crescent, the two gastrocnemius heads over it
    site(muscle(M.SOL), M.SOL, pos(0.44, 0.3), [-0.15, 0.05], [0, 0.1], 0.01, sol, 'vanish', 'vanish'),
    site(muscle(M.SOL), M.SOL, pos(0.0, 0.42), [0, 0.1], [0, 0.1], 0.01, sol, 'vanish', 'vanish'),
    site(muscle(M.SOL), M.SOL, pos(-0.42, 0.4), [0.15, 0.05], [0, 0.1], 0.01, sol, 'vanish', 'vanish'),
    site(muscle(M.GM), M.GM, pos(0.42, 0.68), [-0.1, 0.15], [-0.02, -0.06], 0.05, gm, 'vanish', 'tendon'),
    site(muscle(M.GM), M.GM, pos(0.14, 0.84), [-0.05, 0.1], [0, -0.06], 0.05, gm, 'vanish', 'tendon'),
    site(muscle(M.GL), M.GL, pos(-0.3, 0.8), [0.05, 0.1], [0, -0.06], 0.01, gl, 'vanish', 'tendon'),
    site(muscle(M.GL), M.GL, pos(-0.55, 0.62), [0.1, 0.1], [0, -0.04], 0, gl, 'vanish', 'tendon'),
    // non-muscle cells: the Achilles tendon, Kager's fat pad, fat on the subcutaneous face of the tibia
    site(TISSUE.tendon, -1, pos(0.02, 0.92, 0.03), [0, 0], [0, 0], 0, achilles, 'tendon', 'vanish', u(4.2, 5.4), u(2, 2.8)),
    site(TISSUE.fat, -1, pos(-0.05, 0.62, 0.03), [0.05, 0], [0, 0], -0.01, kager, 'tendon', 'vanish'),
    site(TISSUE.fat, -1, pos(0.74, -0.8, 0.03), [-0.1, 0.1], [0, 0], 0.02, ALWAYS, 'tendon', 'tendon'),
  ];

  const bone = (base: [number, number], distal: [number, number], proximal: [number, number], radius: Knots5, cortex: Knots5, h2: number, h3: number, rotation: number): BonePlan =>
    ({ base, distal, proximal, radius: radius.map((r) => r * scale * u(0.92, 1.08)) as unknown as Knots5, cortex: cortex.map((c) => c * scale) as unknown as Knots5, h2, h3, rotation });
  const k = (a: number, b: number, c: number, d: number, e: number): Knots5 => [a, b, c, d, e];

  return {
    seed,
    axisPoint: [NOMINAL_CENTRE[0] + offset * Math.cos(offsetAngle), NOMINAL_CENTRE[1] + offset * Math.sin(offsetAngle), NOMINAL_CENTRE[2] + u(-10, 10)],
    tilt: [Math.tan(tiltAngle) * Math.cos(tiltAzimuth), Math.tan(tiltAngle) * Math.sin(tiltAzimuth)],
    calfLength: u(300, 390),
    radius, radiusProfile,
    // Wider medio-laterally (cos 2θ), fuller posteriorly (sin θ), flatter over the tibia.
    outlineA: [j(0.02, 0.02), j(0.05, 0.02), j(0, 0.015), j(0, 0.01)],
    outlineB: [j(0.05, 0.02), j(0, 0.02), j(-0.02, 0.015), j(0, 0.01)],
    fat: u(3, 14), fatA: [j(0.15, 0.15), j(0, 0.15), j(0, 0.08)], fatB: [j(0.1, 0.15), j(0, 0.15), j(0, 0.08)], fatProfile: k(u(0.5, 0.9), 0.9, 1, 1.05, u(1, 1.3)), tibialFatDip: u(0.5, 0.75),
    skin: u(1.3, 2.2),
    // Tibia: anteromedial, triangular with its crest anterior; widens at both metaphyses.
    tibia: bone(pos(0.3, -0.58, 0.03), [-0.05, 0.18], [-0.05, 0.15], k(14, 10.5, 9.6, 11, 18), k(1.5, 3.2, 4, 3.2, 1.5), j(0.05, 0.03), j(0.15, 0.03), -Math.PI / 2 + u(-0.25, 0.1)),
    // Fibula: posterolateral, small, roughly quadrilateral; head and lateral malleolus are wider.
    fibula: bone(pos(-0.62, 0.0, 0.03), [-0.03, -0.12], [0, 0.1], k(9, 6, 6.2, 6.8, 11), k(2, 2.4, 2.6, 2.4, 2), j(0.08, 0.04), j(0.08, 0.04), u(0, 2 * Math.PI)),
    sites,
    vessels: [
      { where: 'fat', at: [u(-0.15, 0.35), 0.5], radius: u(1.8, 2.8) * scale, belly: ALWAYS }, // great saphenous vein, medial
      { where: 'fat', at: [u(1.45, 1.7), 0.5], radius: u(1.2, 2) * scale, belly: { distalEnd: -3, distalFull: -2, proximalFull: 0.3, proximalEnd: 0.6 } }, // small saphenous, posterior
      { where: 'deep', at: [0.08, 0.18], radius: 2.4 * scale, belly: ALWAYS }, // posterior tibial bundle
      { where: 'deep', at: [-0.38, 0.14], radius: 1.8 * scale, belly: ALWAYS }, // peroneal vessels
      { where: 'deep', at: [-0.2, -0.3], radius: 1.6 * scale, belly: ALWAYS }, // anterior tibial, on the membrane
    ],
    warp: { amplitude: u(0.04, 0.08), k1: (2 * Math.PI) / (radius * u(0.9, 1.6)), k2: (2 * Math.PI) / (radius * u(0.9, 1.6)), phase1: u(0, 2 * Math.PI), phase2: u(0, 2 * Math.PI), twist1: u(-3, 3), twist2: u(-3, 3) },
    muscleGain: Array.from({ length: 11 }, () => u(0.92, 1.08)),
  };
}
