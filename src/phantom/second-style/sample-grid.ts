/**
 * Samples tissue codes on a grid and turns them into the noiseless image and the labels.
 *
 * Signal of a voxel: mean over nT planes across the slice thickness (boxcar slice profile, nT odd,
 * so the middle plane is the slice centre) of the mean over 2×2 in-plane sub-samples at ±¼ voxel.
 * Label of a voxel: the tissue at its centre (the middle plane), never a vote.
 *
 * Speed: each plane is first sampled once per voxel centre; a voxel whose centre and 8 in-plane
 * neighbours (same plane) agree takes that tissue for all four sub-samples, and only the others are
 * sub-sampled. A structure narrower than the pixel spacing can slip between centres and be missed
 * there — which 2×2 sub-sampling of such a structure would mostly do too; `exact` turns the shortcut
 * off (tests compare the two).
 */
import type { VolumeGeometry } from '../../dicom/volume.js';
import type { CrossSections } from './cross-sections.js';

/** Planes across the slice thickness: odd (3 up to 4 mm, 5 up to 8 mm, else 7), 1 for an infinitely thin slice. */
export const thicknessSamples = (t: number): number => (t > 0 ? Math.min(7, 2 * Math.ceil(t / 4) + 1) : 1);

export interface Sampled { signal: Float32Array; tissue: Uint8Array }

export function sampleGrid(g: VolumeGeometry, anatomy: CrossSections, signalOf: Float32Array, thickness: number, exact = false): Sampled {
  const { rows, columns, slices, origin, rowDirection: rd, columnDirection: cd, normal: nd, spacing } = g;
  const plane = rows * columns;
  const signal = new Float32Array(plane * slices);
  const tissue = new Uint8Array(plane * slices);
  const nT = thicknessSamples(thickness);
  const centrePlane = (nT - 1) / 2;
  const dr = [rd[0] * spacing[0], rd[1] * spacing[0], rd[2] * spacing[0]] as const;
  const dc = [cd[0] * spacing[1], cd[1] * spacing[1], cd[2] * spacing[1]] as const;
  const codes = new Uint8Array(plane);
  const norm = 1 / (4 * nT);

  for (let k = 0; k < slices; k++) {
    const out = k * plane;
    for (let q = 0; q < nT; q++) {
      const along = k * spacing[2] + (q === centrePlane ? 0 : ((q + 0.5) / nT - 0.5) * thickness);
      const ox = origin[0] + along * nd[0], oy = origin[1] + along * nd[1], oz = origin[2] + along * nd[2];
      // Voxel centres of this plane (for q = centre plane: exactly the label positions).
      for (let j = 0; j < rows; j++) {
        const bx = ox + j * dc[0], by = oy + j * dc[1], bz = oz + j * dc[2];
        for (let i = 0; i < columns; i++) codes[j * columns + i] = anatomy.tissueAt(bx + i * dr[0], by + i * dr[1], bz + i * dr[2]);
      }
      if (q === centrePlane) tissue.set(codes, out);
      for (let j = 0; j < rows; j++) {
        for (let i = 0; i < columns; i++) {
          const c = codes[j * columns + i]!;
          if (!exact && i > 0 && j > 0 && i < columns - 1 && j < rows - 1 && uniform(codes, j * columns + i, columns, c)) {
            signal[out + j * columns + i]! += 4 * signalOf[c]!;
            continue;
          }
          let sum = 0;
          for (const fj of QUARTERS) {
            const bx = ox + (j + fj) * dc[0], by = oy + (j + fj) * dc[1], bz = oz + (j + fj) * dc[2];
            for (const fi of QUARTERS) sum += signalOf[anatomy.tissueAt(bx + (i + fi) * dr[0], by + (i + fi) * dr[1], bz + (i + fi) * dr[2])]!;
          }
          signal[out + j * columns + i]! += sum;
        }
      }
    }
    for (let n = out; n < out + plane; n++) signal[n]! *= norm;
  }
  return { signal, tissue };
}

const QUARTERS = [-0.25, 0.25] as const;

function uniform(codes: Uint8Array, n: number, w: number, c: number): boolean {
  return codes[n - 1] === c && codes[n + 1] === c && codes[n - w] === c && codes[n + w] === c
    && codes[n - w - 1] === c && codes[n - w + 1] === c && codes[n + w - 1] === c && codes[n + w + 1] === c;
}
