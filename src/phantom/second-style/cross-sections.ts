/**
 * The tissue at a patient-space point. The seeded plan is turned into a table of cross-sections
 * along z (one row of numbers per z knot), so the per-point work is a few harmonics of the outline,
 * two bone tests and one pass over ~20 partition sites. Because the
 * lookup depends only on (x, y, z), any grid through the same seed sees the same anatomy.
 *
 * Leg tilt is a shear: the axis centre drifts in x and y with z while cross-sections stay axial. For
 * the ≤ 5° tilts used this differs from a true rotation by less than 0.4 % in the section's shape.
 */
import type { AnatomyPlan, BonePlan } from './anatomy-plan.js';
import { bellyFraction, drift, smoothstep, spline5 } from './profiles.js';
import { FASCIA_BASE, MUSCLE_BASE, TISSUE } from './tissues.js';

// Row layout.
const CX = 0, CY = 1, RAD = 2, FAT = 3, TU = 4, TV = 5, TR = 6, TC = 7, FU = 8, FV = 9, FR = 10, FC = 11, PH1 = 12, PH2 = 13, AMP = 14;
const DC = 15, DS = 16, VES = 17, VESSELS = 5, SITE0 = VES + 3 * VESSELS, SITE_STRIDE = 6;
const ABSENT = -1e30;
const HUGE = 1e30;
/** half-width of an intermuscular septum and thickness of the crural fascia, mm */
const SEPTUM_HALF = 0.35, CRURAL = 0.6;
/**
 * Cross-sections are tabulated on a global z lattice (multiples of the step, independent of the
 * grid) and looked up at the nearest knot, so two grids that share a point see identical parameters
 * there. 1/32 mm is far below any visible change of the anatomy along z; the step doubles only for
 * z ranges longer than ~250 mm × 2ⁿ, to bound the table's size.
 */
const MIN_STEP = 1 / 32, MAX_ROWS = 8192;
/** the fat over the tibia thins within 45° of the direction of the tibia from the leg axis */
const COS_DIP = Math.cos(Math.PI / 4);

/** A bone's outline around its centre, ready for the per-point test. */
interface BoneShape { h2: number; h3: number; cos: number; sin: number; reach: number }
const boneShape = (b: BonePlan): BoneShape => ({ h2: b.h2, h3: b.h3, cos: Math.cos(b.rotation), sin: Math.sin(b.rotation), reach: 1 + Math.abs(b.h2) + Math.abs(b.h3) });

/**
 * Weight lost by a cell whose belly fraction is f (units of Rm²): none at f = 1, enough that the cell
 * is empty well before f reaches 0 (its power distance then exceeds any neighbour's within the leg).
 */
const fade = (f: number) => (0.12 * (1 - f) * (1 - f)) / (f + 0.01);

export class CrossSections {
  private readonly plan: AnatomyPlan;
  private readonly step: number;
  private readonly k0: number;
  private readonly n: number;
  private readonly stride: number;
  private readonly table: Float64Array;
  private curZ = Number.NaN;
  private b = 0;
  private readonly nSites: number;
  private readonly siteTissue: Int32Array;
  private readonly siteGroup: Int32Array;
  private readonly p: Float64Array;
  private readonly outlineMax: number;
  private readonly oa: number[];
  private readonly ob: number[];
  private readonly skin: number;
  private readonly tibia: BoneShape;
  private readonly fibula: BoneShape;
  private readonly k1: number;
  private readonly k2: number;

  /** Covers z in [zMin, zMax] (patient mm); points beyond use the end rows. */
  constructor(plan: AnatomyPlan, zMin: number, zMax: number) {
    this.plan = plan;
    this.nSites = plan.sites.length;
    this.stride = SITE0 + SITE_STRIDE * this.nSites;
    let step = MIN_STEP;
    while ((zMax - zMin) / step > MAX_ROWS) step *= 2;
    this.step = step;
    this.k0 = Math.floor(zMin / step) - 1;
    this.n = Math.ceil(zMax / step) + 2 - this.k0;
    this.table = new Float64Array(this.n * this.stride);
    for (let r = 0; r < this.n; r++) this.fillRow(this.table.subarray(r * this.stride, (r + 1) * this.stride), (this.k0 + r) * step);
    this.siteTissue = Int32Array.from(plan.sites, (s) => s.tissue);
    this.siteGroup = Int32Array.from(plan.sites, (s) => s.group);
    this.p = new Float64Array(this.nSites);
    this.oa = plan.outlineA;
    this.ob = plan.outlineB;
    this.outlineMax = 1 + [...plan.outlineA, ...plan.outlineB].reduce((a, b) => a + Math.abs(b), 0);
    this.skin = plan.skin;
    this.tibia = boneShape(plan.tibia);
    this.fibula = boneShape(plan.fibula);
    this.k1 = plan.warp.k1;
    this.k2 = plan.warp.k2;
  }

  /** s ∈ [−1, 1] along the calf at patient z (−1 ankle, +1 knee). */
  calfPosition(z: number): number {
    return (z - this.plan.axisPoint[2]) / (this.plan.calfLength / 2);
  }

  private outline(R: number, c: number, s: number): number {
    const a = this.plan.outlineA, b = this.plan.outlineB;
    const c2 = c * c - s * s, s2 = 2 * c * s, c3 = c2 * c - s2 * s, s3 = s2 * c + c2 * s;
    return R * (1 + a[0]! * c + b[0]! * s + a[1]! * c2 + b[1]! * s2 + a[2]! * c3 + b[2]! * s3 + a[3]! * (c2 * c2 - s2 * s2) + b[3]! * 2 * s2 * c2);
  }

  /** Fat thickness in direction (c, s); thinned over the tibia's subcutaneous face (direction dc, ds). */
  private fatAt(F: number, c: number, s: number, dc: number, ds: number): number {
    const a = this.plan.fatA, b = this.plan.fatB;
    const c2 = c * c - s * s, s2 = 2 * c * s, c3 = c2 * c - s2 * s, s3 = s2 * c + c2 * s;
    const near = (c * dc + s * ds - COS_DIP) / (1 - COS_DIP);
    const dip = near > 0 ? 1 - this.plan.tibialFatDip * near * near : 1;
    return F * dip * Math.max(0.25, 1 + a[0]! * c + b[0]! * s + a[1]! * c2 + b[1]! * s2 + a[2]! * c3 + b[2]! * s3);
  }

  private fillRow(row: Float64Array, z: number): void {
    const pl = this.plan;
    const s = this.calfPosition(z);
    const R = pl.radius * spline5(pl.radiusProfile, s);
    row[CX] = pl.axisPoint[0] + pl.tilt[0] * (z - pl.axisPoint[2]);
    row[CY] = pl.axisPoint[1] + pl.tilt[1] * (z - pl.axisPoint[2]);
    row[RAD] = R;
    row[FAT] = pl.fat * spline5(pl.fatProfile, s);
    // Inner structures are placed in units of the muscle compartment's mean radius, so a thick fat
    // layer makes a smaller compartment rather than pushing muscles out into the fat.
    const Rm = Math.max(0.3 * R, R - pl.skin - row[FAT]!);
    const bone = (b: BonePlan, o: number) => {
      row[o] = drift(b.base[0], b.distal[0], b.proximal[0], s) * Rm;
      row[o + 1] = drift(b.base[1], b.distal[1], b.proximal[1], s) * Rm;
      row[o + 2] = spline5(b.radius, s);
      row[o + 3] = spline5(b.cortex, s);
    };
    bone(pl.tibia, TU);
    bone(pl.fibula, FU);
    const td = Math.hypot(row[TU]!, row[TV]!) || 1;
    row[DC] = row[TU]! / td;
    row[DS] = row[TV]! / td;
    row[PH1] = pl.warp.phase1 + pl.warp.twist1 * s;
    row[PH2] = pl.warp.phase2 + pl.warp.twist2 * s;
    row[AMP] = pl.warp.amplitude * Rm;
    pl.vessels.forEach((v, i) => {
      const o = VES + 3 * i;
      if (v.where === 'fat') {
        const c = Math.cos(v.at[0]), sn = Math.sin(v.at[0]);
        const rho = this.outline(R, c, sn) - pl.skin - this.fatAt(row[FAT]!, c, sn, row[DC]!, row[DS]!) * v.at[1];
        row[o] = c * rho; row[o + 1] = sn * rho;
      } else {
        row[o] = v.at[0] * Rm; row[o + 1] = v.at[1] * Rm;
      }
      row[o + 2] = v.radius * Math.sqrt(bellyFraction(v.belly, s));
    });
    pl.sites.forEach((site, i) => {
      const o = SITE0 + SITE_STRIDE * i;
      const fd = smoothstep(site.belly.distalEnd, site.belly.distalFull, s);
      const fp = 1 - smoothstep(site.belly.proximalFull, site.belly.proximalEnd, s);
      const f = fd * fp;
      const mode = fd < fp ? site.distalMode : site.proximalMode;
      row[o] = drift(site.base[0], site.distal[0], site.proximal[0], s) * Rm;
      row[o + 1] = drift(site.base[1], site.distal[1], site.proximal[1], s) * Rm;
      let w = site.weight, reach = HUGE, tau = 0;
      if (site.tissue === TISSUE.tendon) {
        // A tendon cell: tendon inside its ellipse, fat around it; the cell itself comes and goes.
        w = f <= 0 ? ABSENT : (w - fade(f)) * Rm * Rm;
        tau = site.tendon * (0.4 + 0.6 * f);
      } else if (mode === 'vanish' || site.tissue === TISSUE.fat) {
        w = f <= 0 ? ABSENT : (w - fade(f)) * Rm * Rm;
      } else {
        // The belly shrinks around its tendon; what it leaves becomes intermuscular fat.
        w *= Rm * Rm;
        tau = site.tendon * Math.sqrt(1 - f);
        reach = tau + (0.7 * Rm * f) / (1 - f + 0.05);
      }
      row[o + 2] = w;
      row[o + 3] = reach >= HUGE ? HUGE : reach * reach;
      row[o + 4] = tau * Math.sqrt(site.aspect);
      row[o + 5] = tau / Math.sqrt(site.aspect);
    });
  }

  private load(z: number): void {
    const r = Math.min(this.n - 1, Math.max(0, Math.round(z / this.step) - this.k0));
    this.b = r * this.stride;
    this.curZ = z;
  }

  /** Tissue code (tissues.ts) at patient point (x, y, z). */
  tissueAt(x: number, y: number, z: number): number {
    if (z !== this.curZ) this.load(z);
    const row = this.table, b0 = this.b;
    const u = x - row[b0 + CX]!, v = y - row[b0 + CY]!;
    const R = row[b0 + RAD]!;
    const r2 = u * u + v * v;
    const rMax = R * this.outlineMax;
    if (r2 > rMax * rMax) return TISSUE.air;
    const r = Math.sqrt(r2);
    const c = r > 1e-9 ? u / r : 1, sn = r > 1e-9 ? v / r : 0;
    const a = this.oa, b = this.ob;
    const c2 = c * c - sn * sn, s2 = 2 * c * sn, c3 = c2 * c - s2 * sn, s3 = s2 * c + c2 * sn;
    const Rs = R * (1 + a[0]! * c + b[0]! * sn + a[1]! * c2 + b[1]! * s2 + a[2]! * c3 + b[2]! * s3 + a[3]! * (c2 * c2 - s2 * s2) + b[3]! * 2 * s2 * c2);
    if (r > Rs) return TISSUE.air;
    const skin = this.skin;
    if (r > Rs - skin) return TISSUE.skin;
    const tb = this.bone(this.tibia, u - row[b0 + TU]!, v - row[b0 + TV]!, row[b0 + TR]!, row[b0 + TC]!);
    if (tb !== TISSUE.air) return tb;
    const fb = this.bone(this.fibula, u - row[b0 + FU]!, v - row[b0 + FV]!, row[b0 + FR]!, row[b0 + FC]!);
    if (fb !== TISSUE.air) return fb;
    const Rf = Rs - skin - this.fatAt(row[b0 + FAT]!, c, sn, row[b0 + DC]!, row[b0 + DS]!);
    if (r > Rf) return this.vessel(row, b0, u, v, 0, 2) ? TISSUE.vessel : TISSUE.fat;
    if (this.vessel(row, b0, u, v, 2, VESSELS)) return TISSUE.vessel;
    return this.partition(row, b0, u, v, r > Rf - CRURAL);
  }

  private bone(b: BoneShape, du: number, dv: number, radius: number, cortex: number): number {
    const reach = radius * b.reach;
    const d2 = du * du + dv * dv;
    if (d2 > reach * reach) return TISSUE.air;
    const d = Math.sqrt(d2);
    if (d < 1e-9) return TISSUE.marrow;
    const cr = b.cos, sr = b.sin;
    const cl = (du * cr + dv * sr) / d, sl = (dv * cr - du * sr) / d;
    const cos2 = cl * cl - sl * sl, cos3 = cos2 * cl - 2 * cl * sl * sl;
    const rho = radius * (1 + b.h2 * cos2 + b.h3 * cos3);
    if (d >= rho) return TISSUE.air;
    return d > rho - cortex ? TISSUE.cortex : TISSUE.marrow;
  }

  private vessel(row: Float64Array, b0: number, u: number, v: number, from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      const o = VES + 3 * i, rr = row[b0 + o + 2]!;
      const du = u - row[b0 + o]!, dv = v - row[b0 + o + 1]!;
      if (du * du + dv * dv < rr * rr) return true;
    }
    return false;
  }

  /** Power-diagram cell of the (warped) point, with tendon, reach and septum tests. */
  private partition(row: Float64Array, b0: number, u: number, v: number, crural: boolean): number {
    const amp = row[b0 + AMP]!;
    const uw = u + amp * Math.sin(this.k1 * v + row[b0 + PH1]!);
    const vw = v + amp * Math.sin(this.k2 * u + row[b0 + PH2]!);
    const p = this.p, n = this.nSites;
    let best = 0, bp = Infinity;
    for (let i = 0; i < n; i++) {
      const o = SITE0 + SITE_STRIDE * i;
      const du = uw - row[b0 + o]!, dv = vw - row[b0 + o + 1]!;
      const pi = du * du + dv * dv - row[b0 + o + 2]!;
      p[i] = pi;
      if (pi < bp) { bp = pi; best = i; }
    }
    const o = SITE0 + SITE_STRIDE * best;
    const du = uw - row[b0 + o]!, dv = vw - row[b0 + o + 1]!;
    const tu = row[b0 + o + 4]!, tv = row[b0 + o + 5]!;
    if (du * du * tv * tv + dv * dv * tu * tu < tu * tu * tv * tv) return TISSUE.tendon;
    const tissue = this.siteTissue[best]!;
    if (tissue < MUSCLE_BASE) return TISSUE.fat; // fat cells, and the fat around a tendon cell's tendon
    if (du * du + dv * dv > row[b0 + o + 3]!) return TISSUE.fat;
    if (crural) return tissue - MUSCLE_BASE + FASCIA_BASE;
    // Distance to the nearest bisector with another muscle: (p_j − p_best) / (2·|site_j − site_best|).
    const g = this.siteGroup[best]!;
    const quick = 2 * SEPTUM_HALF * 3 * row[b0 + RAD]!;
    for (let j = 0; j < n; j++) {
      const gap = p[j]! - bp;
      if (gap >= quick || this.siteGroup[j] === g || this.siteGroup[j]! < 0) continue;
      const oj = SITE0 + SITE_STRIDE * j;
      const dx = row[b0 + oj]! - row[b0 + o]!, dy = row[b0 + oj + 1]! - row[b0 + o + 1]!;
      if (gap < 2 * SEPTUM_HALF * Math.sqrt(dx * dx + dy * dy)) return tissue - MUSCLE_BASE + FASCIA_BASE;
    }
    return tissue;
  }
}
