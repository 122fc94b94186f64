/**
 * Acquisition artefacts of the second style, applied in this order to the noiseless image:
 * receive-coil shading (bias field), phase-encode ghosts, then magnitude noise.
 *
 * The bias field comes from 2–4 surface coil elements placed around the leg (seeded angles and
 * heights): g(p) = Σ exp(−|p − coil| / falloff), normalised to 1 at the mid-calf axis point, and
 * the image is multiplied by 1 + amplitude·tanh(g − 1) — smooth everywhere and bounded by
 * 1 ± amplitude. Ghosts are shifted copies along the column (phase-encode) direction, wrapping
 * around the field of view as aliased ghosts do. Rician noise is |S + n₁ + i·n₂|, which is what a
 * magnitude image of a single-channel acquisition has; Gaussian is S + n₁ clipped at 0.
 */
import type { Vec3, VolumeGeometry } from '../../dicom/volume.js';
import { seededRandom } from '../leg-anatomy.js';
import type { AnatomyPlan } from './anatomy-plan.js';
import type { ResolvedOptions } from './options.js';

export class BiasField {
  private readonly coils: Vec3[];
  private readonly inv: number;
  private readonly amplitude: number;
  private g0 = 1;
  constructor(plan: AnatomyPlan, o: NonNullable<ResolvedOptions['biasField']>) {
    this.amplitude = o.amplitude;
    const rnd = seededRandom((plan.seed ^ 0x5eed0b1a) >>> 0);
    const start = rnd() * 2 * Math.PI;
    const a = plan.axisPoint;
    this.coils = Array.from({ length: o.coils }, (_, i) => {
      const angle = start + (2 * Math.PI * i) / o.coils + (rnd() - 0.5) * 0.8;
      const r = plan.radius + 15 + rnd() * 15;
      return [a[0] + r * Math.cos(angle), a[1] + r * Math.sin(angle), a[2] + (rnd() - 0.5) * 120] as Vec3;
    });
    this.inv = 1 / o.falloff;
    this.g0 = this.raw(a[0], a[1], a[2]);
  }

  private raw(x: number, y: number, z: number): number {
    let g = 0;
    for (const c of this.coils) {
      const dx = x - c[0], dy = y - c[1], dz = z - c[2];
      g += Math.exp(-Math.sqrt(dx * dx + dy * dy + dz * dz) * this.inv);
    }
    return g / this.g0;
  }

  /** Multiplicative gain at a patient point. */
  at(x: number, y: number, z: number): number {
    return 1 + this.amplitude * Math.tanh(this.raw(x, y, z) - 1);
  }
}

/**
 * Multiplies each voxel by the bias field at its centre. The field is evaluated every BIAS_STEP
 * voxels along a row and linearly interpolated between: it changes over tens of millimetres, and
 * the exponentials would otherwise cost more than the anatomy.
 */
export function applyBias(data: Float32Array, g: VolumeGeometry, bias: BiasField): void {
  const { rows, columns, slices, origin: o, rowDirection: rd, columnDirection: cd, normal: nd, spacing: sp } = g;
  const dx = sp[0] * rd[0], dy = sp[0] * rd[1], dz = sp[0] * rd[2];
  for (let k = 0; k < slices; k++) {
    for (let j = 0; j < rows; j++) {
      const bx = o[0] + k * sp[2] * nd[0] + j * sp[1] * cd[0], by = o[1] + k * sp[2] * nd[1] + j * sp[1] * cd[1], bz = o[2] + k * sp[2] * nd[2] + j * sp[1] * cd[2];
      const out = (k * rows + j) * columns;
      let i0 = 0, g0 = bias.at(bx, by, bz);
      while (i0 < columns - 1) {
        const i1 = Math.min(columns - 1, i0 + BIAS_STEP);
        const g1 = bias.at(bx + i1 * dx, by + i1 * dy, bz + i1 * dz);
        for (let i = i0; i < i1; i++) data[out + i]! *= g0 + ((g1 - g0) * (i - i0)) / (i1 - i0);
        i0 = i1; g0 = g1;
      }
      data[out + columns - 1]! *= g0;
    }
  }
}
const BIAS_STEP = 8;

/** Adds ghosts to each slice in place (data slice-major, rows along the column direction). */
export function addGhosts(data: Float32Array, g: Pick<VolumeGeometry, 'rows' | 'columns' | 'slices'>, o: NonNullable<ResolvedOptions['ghost']>): void {
  const { rows, columns, slices } = g;
  const copies = o.kind === 'motion' ? [[o.shift, 1], [-o.shift, 1], [2 * o.shift, 0.5], [-2 * o.shift, 0.5]] : [[o.shift, 1]];
  const src = new Float32Array(rows * columns);
  for (let k = 0; k < slices; k++) {
    const base = k * rows * columns;
    src.set(data.subarray(base, base + rows * columns));
    for (let j = 0; j < rows; j++) {
      for (const [shift, weight] of copies) {
        const from = ((((j - shift!) % rows) + rows) % rows) * columns;
        const a = o.amplitude * weight!;
        for (let i = 0; i < columns; i++) data[base + j * columns + i]! += a * src[from + i]!;
      }
    }
  }
}

/** Adds noise (sigma in signal units) and rounds to integers in [0, 3999] in place. */
export function addNoiseAndQuantise(data: Float32Array, sigma: number, kind: 'rician' | 'gaussian', seed: number): void {
  const rnd = seededRandom((seed ^ 0x0a15e5ed) >>> 0);
  for (let q = 0; q < data.length; q++) {
    let v = data[q]!;
    if (sigma > 0) {
      // Marsaglia's polar method: one pair of independent unit normals per voxel, no trigonometry.
      let a = 0, b = 0, r2 = 0;
      do { a = 2 * rnd() - 1; b = 2 * rnd() - 1; r2 = a * a + b * b; } while (r2 >= 1 || r2 === 0);
      const f = sigma * Math.sqrt((-2 * Math.log(r2)) / r2);
      const n1 = a * f, n2 = b * f;
      v = kind === 'rician' ? Math.sqrt((v + n1) * (v + n1) + n2 * n2) : v + n1;
    }
    data[q] = Math.min(3999, Math.max(0, Math.round(v)));
  }
}
