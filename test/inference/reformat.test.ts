import test from 'ava';
import { planeOf, planeOfOrientation, planFor } from '../../src/dicom/plane.js';
import type { Vec3, Volume, VolumeGeometry } from '../../src/dicom/volume.js';
import { labelsOnto, MAX_REFORMAT_SLICES, reformatGeometry, reformatImage } from '../../src/inference/reformat.js';
import { orientationVectors } from '../../src/phantom/leg-phantom.js';

const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

function geometry(o: 'axial' | 'coronal' | 'sagittal' | 'oblique' | number[], columns: number, rows: number, slices: number, spacing: Vec3, origin: Vec3 = [-40, -35, 20]): VolumeGeometry {
  const { row, column } = orientationVectors(o);
  const normal = cross(row, column);
  return {
    columns, rows, slices, spacing, origin, rowDirection: row, columnDirection: column, normal,
    frameOfReferenceUid: '1.2.3', studyInstanceUid: '1.2.4', seriesInstanceUid: '1.2.5',
    sources: Array.from({ length: slices }, (_, k) => ({ sopInstanceUid: `1.2.6.${k}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.4', position: [0, 1, 2].map((a) => origin[a]! + k * spacing[2] * normal[a]!) as Vec3 })),
  };
}
const centre = (g: VolumeGeometry, i: number, j: number, k: number): Vec3 =>
  [0, 1, 2].map((a) => g.origin[a]! + i * g.spacing[0] * g.rowDirection[a]! + j * g.spacing[1] * g.columnDirection[a]! + k * g.spacing[2] * g.normal[a]!) as Vec3;
function fill(g: VolumeGeometry, f: (p: Vec3) => number): Volume {
  const data = new Float32Array(g.columns * g.rows * g.slices);
  let n = 0;
  for (let k = 0; k < g.slices; k++) for (let j = 0; j < g.rows; j++) for (let i = 0; i < g.columns; i++) data[n++] = f(centre(g, i, j, k));
  return { ...g, data };
}

test('planeOf: the nearest patient axis of the slice normal; oblique beyond 15°', (t) => {
  t.is(planeOf([1, 0, 0], [0, 1, 0]).plane, 'axial');
  t.is(planeOf([-1, 0, 0], [0, 1, 0]).plane, 'axial'); // a flipped axial is still axial
  t.is(planeOf([1, 0, 0], [0, 0, -1]).plane, 'coronal');
  t.is(planeOf([0, 1, 0], [0, 0, -1]).plane, 'sagittal');
  const o = planeOfOrientation([...orientationVectors('oblique').row, ...orientationVectors('oblique').column])!;
  t.is(o.plane, 'oblique');
  t.is(o.nearest, 'axial');
  t.true(o.tiltDegrees > 24 && o.tiltDegrees < 26, `tilt ${o.tiltDegrees}`);
  const c = Math.cos((10 * Math.PI) / 180), s = Math.sin((10 * Math.PI) / 180);
  t.is(planeOf([1, 0, 0], [0, c, s]).plane, 'axial', '10° tilt is still axial');
  t.is(planeOfOrientation([1, 0, 0]), undefined);
});

test('planFor: direct only for the model plane in its display axes; coarse sampling in the plane is skipped with a reason', (t) => {
  const req = { plane: 'axial' as const, maxThroughPlaneSpacing: 3 };
  t.is(planFor(geometry('axial', 64, 64, 10, [0.7, 0.7, 5]), req).action, 'direct');
  t.is(planFor(geometry([-1, 0, 0, 0, 1, 0], 64, 64, 10, [0.7, 0.7, 5]), req).action, 'reformat', 'a mirrored axial is reformatted');
  const coarse = planFor(geometry('coronal', 64, 64, 20, [0.7, 0.7, 6]), req);
  t.is(coarse.action, 'skip');
  t.is(coarse.inPlaneSampling, 6);
  t.is(coarse.reason, 'skipped: plane coronal, spacing 6 mm > 3 mm tolerated by the axial model');
  const fine = planFor(geometry('sagittal', 64, 64, 40, [0.8, 0.8, 2.5]), req);
  t.is(fine.action, 'reformat');
  t.is(fine.reason, "sagittal series reformatted to axial (sampling 2.5 mm in the model's plane)");
  t.regex(planFor(geometry('coronal', 64, 64, 1, [0.7, 0.7, 1]), req).reason, /^skipped: plane coronal, spacing a single slice > 3 mm/);
  // 25° oblique axial with 5 mm slices: the slices' tilt samples x and y every ≈1.2–1.7 mm.
  const ob = planFor(geometry('oblique', 64, 64, 20, [0.7, 0.7, 5]), req);
  t.is(ob.action, 'reformat');
  t.true(ob.inPlaneSampling > 1.5 && ob.inPlaneSampling < 1.8, `sampling ${ob.inPlaneSampling}`);
  t.is(planFor(geometry('coronal', 64, 64, 20, [0.7, 0.7, 6]), { plane: 'any', maxThroughPlaneSpacing: 3 }).action, 'direct');
  t.is(planFor(geometry('axial', 64, 64, 20, [0.7, 0.7, 6]), { plane: 'coronal', maxThroughPlaneSpacing: 3 }).action, 'skip');
});

test('reformatGeometry: the model grid centred on the source, slices covering it along the plane normal', (t) => {
  const src = geometry('coronal', 120, 100, 30, [0.8, 0.8, 4], [-48, -60, 30]);
  const g = reformatGeometry(src, 'axial', [128, 96], [1, 1.5]);
  t.is(g.rows, 128);
  t.is(g.columns, 96);
  t.deepEqual(g.rowDirection, [1, 0, 0]);
  t.deepEqual(g.columnDirection, [0, 1, 0]);
  t.deepEqual(g.spacing.slice(0, 2), [1.5, 1]);
  // The source spans 99 × 0.8 = 79.2 mm along −z; its rows sample z every 0.8 mm, clamped to 1 mm.
  t.is(g.spacing[2], 1);
  t.is(g.slices, 80);
  const mid = centre(g, (g.columns - 1) / 2, (g.rows - 1) / 2, (g.slices - 1) / 2);
  const srcMid = centre(src, (src.columns - 1) / 2, (src.rows - 1) / 2, (src.slices - 1) / 2);
  for (let a = 0; a < 3; a++) t.true(Math.abs(mid[a]! - srcMid[a]!) < 1e-6, `centre axis ${a}: ${mid[a]} vs ${srcMid[a]}`);
  const huge = reformatGeometry(geometry('coronal', 64, 2000, 10, [1, 1, 2]), 'axial', [64, 64], [1, 1]);
  t.is(huge.slices, MAX_REFORMAT_SLICES);
});

test('reformatImage: bilinear inside the acquired slices, the nearest slice across them; pads outside', (t) => {
  // A field linear inside each slice plane but stepped across slices: the reformat must return, at
  // every interior point, the in-plane linear value of the NEAREST acquired slice (no blending of
  // two slices), i.e. f evaluated at the point projected onto that slice.
  const src = geometry('oblique', 60, 50, 24, [1.2, 1.1, 3], [-30, -25, -10]);
  const inPlane = (p: Vec3): number => 100 + 2 * p[0] - 3 * p[1] + 0.5 * p[2];
  const sliceOf = (p: Vec3): number => {
    const d = [0, 1, 2].map((a) => p[a]! - src.origin[a]!) as Vec3;
    return (d[0] * src.normal[0] + d[1] * src.normal[1] + d[2] * src.normal[2]) / src.spacing[2];
  };
  const onSlice = (p: Vec3, k: number): Vec3 => {
    const off = (k - sliceOf(p)) * src.spacing[2];
    return [0, 1, 2].map((a) => p[a]! + off * src.normal[a]!) as Vec3;
  };
  const img = fill(src, (p) => inPlane(p) + 1000 * Math.round(sliceOf(p)));
  const target = reformatGeometry(img, 'axial', [96, 96], [1, 1]);
  const out = reformatImage(img, target, -1);
  let inside = 0, padded = 0, worst = 0, checked = 0;
  for (let k = 0, n = 0; k < target.slices; k++) for (let j = 0; j < target.rows; j++) for (let i = 0; i < target.columns; i++, n++) {
    if (out.data[n] === -1) {
      padded++;
      continue;
    }
    inside++;
    const p = centre(target, i, j, k);
    if (!isInterior(src, p)) continue;
    const ks = sliceOf(p);
    if (Math.abs(ks - Math.round(ks) - 0.5) < 1e-3 || Math.abs(ks - Math.round(ks) + 0.5) < 1e-3) continue; // a tie between two slices
    const kn = Math.round(ks);
    const expected = inPlane(onSlice(p, kn)) + 1000 * kn;
    worst = Math.max(worst, Math.abs(out.data[n]! - expected));
    checked++;
  }
  t.true(inside > 10_000 && padded > 10_000, `inside ${inside}, padded ${padded}`);
  t.true(checked > 10_000, `checked ${checked}`);
  t.true(worst < 1e-2, `largest error ${worst}`);
});

/** Whether p lies at least one voxel inside the source box (where trilinear needs no clamping). */
function isInterior(g: VolumeGeometry, p: Vec3): boolean {
  const d = [0, 1, 2].map((a) => p[a]! - g.origin[a]!) as Vec3;
  const ii = (d[0] * g.rowDirection[0] + d[1] * g.rowDirection[1] + d[2] * g.rowDirection[2]) / g.spacing[0];
  const jj = (d[0] * g.columnDirection[0] + d[1] * g.columnDirection[1] + d[2] * g.columnDirection[2]) / g.spacing[1];
  const kk = (d[0] * g.normal[0] + d[1] * g.normal[1] + d[2] * g.normal[2]) / g.spacing[2];
  return ii > 1 && jj > 1 && kk > 1 && ii < g.columns - 2 && jj < g.rows - 2 && kk < g.slices - 2;
}

test('labelsOnto: labels drawn on the reformat grid land on the same patient points of the source grid', (t) => {
  const src = geometry('sagittal', 80, 70, 40, [1, 1, 2], [40, -40, 35]); // slices step along −x
  const target = reformatGeometry(src, 'axial', [96, 96], [1, 1]);
  // Two balls and a slab, as functions of patient position.
  const truth = (p: Vec3): number => (Math.hypot(p[0] + 5, p[1] + 10, p[2] - 5) < 15 ? 1 : Math.hypot(p[0] - 10, p[1] - 15, p[2] - 10) < 9 ? 2 : p[2] < -20 && p[0] > 0 ? 3 : 0);
  const onTarget = fill(target, truth);
  const labels = { ...target, data: Uint8Array.from(onTarget.data) };
  const back = labelsOnto(labels, src);
  const expected = fill(src, truth).data;
  let agree = 0, counted = 0;
  const present = new Set<number>();
  for (let n = 0; n < back.length; n++) {
    counted++;
    if (back[n] === expected[n]) agree++;
    present.add(back[n]!);
  }
  t.deepEqual([...present].sort(), [0, 1, 2, 3]);
  // Disagreement only within about half a voxel of a boundary.
  t.true(agree / counted > 0.985, `agreement ${(agree / counted).toFixed(4)}`);
});
