import type { LabelVolume } from '../dicom/volume.js';
import type { Code, SegmentDefinition } from '../seg/segment.js';
import type { ModelCard } from './model-card.js';

/** SNOMED CT laterality qualifiers (PS3.16 CID 244): 24028007 Right, 7771000 Left. */
const RIGHT: Code = { value: '24028007', scheme: 'SCT', meaning: 'Right' };
const LEFT: Code = { value: '7771000', scheme: 'SCT', meaning: 'Left' };

/** The segments a card's labels produce (without laterality split). */
export function segmentsOf(card: ModelCard): SegmentDefinition[] {
  return card.labels.map((l) => ({
    labelValue: l.value,
    label: l.name,
    category: l.category,
    type: l.type,
    typeModifier: l.laterality === 'left' ? LEFT : l.laterality === 'right' ? RIGHT : undefined,
    color: l.color,
  }));
}

/**
 * Dafne's "split laterality" (notes/dafne.md): every label becomes `<name>_R` (value 2v−1) and
 * `<name>_L` (value 2v) by the side of the body each voxel is on. The body midline is the mean
 * patient-x (LPS: +x is the patient's left, PS3.3 C.7.6.2.1.1) of all labelled voxels, which sits
 * between the legs of a bilateral acquisition wherever the table put them.
 */
export function splitLaterality(v: LabelVolume, card: ModelCard): SegmentDefinition[] {
  const { columns: nx, rows: ny, slices: nz, data } = v;
  const [sx, sy, sz] = v.spacing;
  // Patient x of voxel (i, j, k) = ox + i·a + j·b + k·c: precompute the three coefficients.
  const a = v.rowDirection[0] * sx;
  const b = v.columnDirection[0] * sy;
  const c = v.normal[0] * sz;
  let sum = 0;
  let count = 0;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    if (data[p] !== 0) {
      sum += i * a + j * b + k * c;
      count++;
    }
  }
  const mid = count ? sum / count : 0;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const l = data[p]!;
    if (l !== 0) data[p] = i * a + j * b + k * c < mid ? 2 * l - 1 : 2 * l;
  }
  return card.labels.flatMap((l) => [
    { labelValue: 2 * l.value - 1, label: `${l.name}_R`, category: l.category, type: l.type, typeModifier: RIGHT, color: l.color },
    { labelValue: 2 * l.value, label: `${l.name}_L`, category: l.category, type: l.type, typeModifier: LEFT, color: shade(l.color) },
  ]);
}

/** A slightly darker colour for the left side so the two stay distinguishable. */
function shade([r, g, b]: [number, number, number]): [number, number, number] {
  return [Math.round(r * 0.75), Math.round(g * 0.75), Math.round(b * 0.75)];
}
