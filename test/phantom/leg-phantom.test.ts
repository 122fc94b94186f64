import test from 'ava';
import { blobDistance, LEG_LABEL, LEG_LABELS, labelLut, legAnatomy, legLabels, TISSUE } from '../../src/phantom/leg-anatomy.js';
import { legPhantom, orientationVectors, voxelCentre, type LegPhantomOptions } from '../../src/phantom/leg-phantom.js';
import type { LabelVolume } from '../../src/dicom/volume.js';

const small: LegPhantomOptions = { rows: 96, columns: 96, slices: 8 };

/** Voxel count of each label 0..9 in slice k. */
function areas(l: LabelVolume, k: number): number[] {
  const a = new Array<number>(10).fill(0);
  const n = l.rows * l.columns;
  for (let i = k * n; i < (k + 1) * n; i++) a[l.data[i]!]!++;
  return a;
}

test('same seed gives the same volume and labels; another seed does not', (t) => {
  const a = legPhantom({ ...small, seed: 42 });
  const b = legPhantom({ ...small, seed: 42 });
  const c = legPhantom({ ...small, seed: 43 });
  t.deepEqual(Buffer.from(a.volume.data.buffer), Buffer.from(b.volume.data.buffer));
  t.deepEqual(Buffer.from(a.labels.data.buffer), Buffer.from(b.labels.data.buffer));
  t.notDeepEqual(Buffer.from(a.labels.data.buffer), Buffer.from(c.labels.data.buffer));
  t.deepEqual(a.volume.spacing, b.volume.spacing);
  t.deepEqual(a.volume.origin, b.volume.origin);
});

test('label table: values 1..9, muscles first, coded concepts and colours', (t) => {
  t.deepEqual(LEG_LABELS.map((l) => l.value), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(legLabels().map((l) => l.name), ['soleus', 'gastrocnemius_medialis', 'gastrocnemius_lateralis', 'tibialis_anterior', 'extensor_digitorum_longus', 'peroneus']);
  t.is(legLabels('all').length, 9);
  for (const l of LEG_LABELS) {
    t.regex(l.type.value, /^\d+$/);
    t.true(['SCT', 'FMA'].includes(l.type.scheme));
    t.true(l.color.every((c) => c >= 0 && c <= 255));
  }
  t.is(LEG_LABELS.find((l) => l.value === LEG_LABEL.tibia)!.type.value, '12611008');
  t.is(LEG_LABELS[0]!.category.value, '91723000');
});

test('axial mid-slice: six muscles, soleus largest, muscles fill a realistic share of the leg', (t) => {
  for (let seed = 1; seed <= 8; seed++) {
    const { labels } = legPhantom({ rows: 128, columns: 128, slices: 1, seed, anatomyVariation: 1, labels: 'all' });
    const a = areas(labels, 0);
    for (let m = 1; m <= 6; m++) t.true(a[m]! > 20, `seed ${seed}: label ${m} has ${a[m]} voxels`);
    t.is(Math.max(...a.slice(1, 7)), a[1], `seed ${seed}: soleus is the largest muscle (${a.slice(1, 7)})`);
    t.true(a[8]! > a[9]!, 'tibia larger than fibula');
    const leg = a.slice(1).reduce((s, v) => s + v, 0);
    const muscle = a.slice(1, 7).reduce((s, v) => s + v, 0);
    t.true(muscle / leg > 0.35 && muscle / leg < 0.85, `muscle share ${(muscle / leg).toFixed(2)}`);
  }
});

test('every muscle voxel lies inside the deep fascia (within skin and fat), away from bone', (t) => {
  const { labels, anatomy } = legPhantom({ ...small, seed: 5, orientation: 'oblique' });
  let checked = 0;
  for (let k = 0; k < labels.slices; k++) {
    for (let j = 0; j < labels.rows; j++) {
      for (let i = 0; i < labels.columns; i++) {
        const l = labels.data[(k * labels.rows + j) * labels.columns + i]!;
        if (l === 0) continue;
        const [x, y, z] = voxelCentre(labels, i, j, k);
        const s = anatomy.sectionAt(z);
        const leg = anatomy.legs[0]!;
        const u = (x - leg.cx) * leg.lateral, v = y - leg.cy;
        t.true(blobDistance(s.outer, u, v) < s.fasciaEdge);
        t.true(blobDistance(s.tibia, u, v) >= 1 && blobDistance(s.fibula, u, v) >= 1);
        checked++;
      }
    }
  }
  t.true(checked > 1000);
});

test('shapes taper along the leg: gastrocnemius shrinks distally and ends above the ankle', (t) => {
  const anatomy = legAnatomy({ seed: 2, anatomyVariation: 0.5 });
  const at = (tt: number) => legPhantom({ rows: 128, columns: 128, slices: 1, seed: 2, center: [0, 0, -tt * anatomy.length] }).labels;
  const prox = areas(at(0.3), 0), mid = areas(at(0.5), 0), dist = areas(at(0.85), 0);
  t.true(prox[2]! > mid[2]!, `GM ${prox[2]} → ${mid[2]}`);
  t.true(prox[3]! > mid[3]!, `GL ${prox[3]} → ${mid[3]}`);
  t.is(dist[2], 0);
  t.is(dist[3], 0);
  t.true(dist[1]! > 0 && dist[4]! > 0, 'soleus and tibialis anterior continue distally');
});

test('each label is the anatomy evaluated at the voxel centre, for any orientation', (t) => {
  for (const orientation of ['axial', 'sagittal', 'oblique', [0.8, 0.6, 0, 0, 0, -1]] as const) {
    const { labels, anatomy } = legPhantom({ ...small, seed: 9, orientation, labels: 'all', reverseSliceOrder: orientation === 'oblique' });
    const lut = labelLut('all');
    for (let n = 0; n < 3000; n++) {
      const i = (n * 7919) % labels.columns, j = (n * 104729) % labels.rows, k = n % labels.slices;
      const [x, y, z] = voxelCentre(labels, i, j, k);
      t.is(labels.data[(k * labels.rows + j) * labels.columns + i], lut[anatomy.tissueAt(x, y, z)]);
    }
  }
});

test('axial and coronal samplings of one phantom agree at every shared voxel centre', (t) => {
  // Grids on whole millimetres around an integer centre: shared centres have identical coordinates.
  const n = 64, center: [number, number, number] = [0, 4, -160];
  const common = { seed: 11, rows: n, columns: n, slices: n, pixelSpacing: [1, 1] as [number, number], sliceSpacing: 1, center, labels: 'all' as const };
  const ax = legPhantom({ ...common, orientation: 'axial' }).labels;
  const co = legPhantom({ ...common, orientation: 'coronal' }).labels;
  // axial: x = i, y = j, z = k (ascending); coronal: x = i, z = −row (descending), y = slice.
  let same = 0, total = 0, nonzero = 0;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const a = ax.data[(k * n + j) * n + i]!;
        const c = co.data[(j * n + (n - 1 - k)) * n + i]!;
        total++;
        if (a === c) same++;
        if (a !== 0) nonzero++;
      }
    }
  }
  t.deepEqual(voxelCentre(ax, 5, 6, 7), voxelCentre(co, 5, n - 1 - 7, 6));
  t.is(same, total);
  t.true(nonzero > total / 10);
});

test('two legs are mirror images, the right leg on the patient\'s right (image left)', (t) => {
  const { labels, volume } = legPhantom({ rows: 128, columns: 256, slices: 2, legs: 2, seed: 4, labels: 'all', pixelSpacing: [1.171875, 1.171875] });
  t.is(volume.rowDirection[0], 1); // columns run towards the patient's left
  const { rows, columns } = labels;
  let mismatches = 0;
  for (let r = 0; r < rows * labels.slices; r++) {
    for (let i = 0; i < columns; i++) if (labels.data[r * columns + i] !== labels.data[r * columns + columns - 1 - i]) mismatches++;
  }
  t.is(mismatches, 0);
  // In the right leg (x < 0) the fibula (lateral) lies further right, i.e. at smaller x, than the tibia.
  const meanX = (label: number, right: boolean) => {
    let s = 0, c = 0;
    for (let j = 0; j < rows; j++) for (let i = 0; i < columns; i++) {
      if (labels.data[j * columns + i] === label && i < columns / 2 === right) { s += voxelCentre(labels, i, j, 0)[0]; c++; }
    }
    return s / c;
  };
  t.true(meanX(LEG_LABEL.fibula, true) < meanX(LEG_LABEL.tibia, true));
  t.true(meanX(LEG_LABEL.fibula, false) > meanX(LEG_LABEL.tibia, false));
  t.true(meanX(LEG_LABEL.tibia, true) < 0 && meanX(LEG_LABEL.tibia, false) > 0);
});

test('reverseSliceOrder steps against row × column and mirrors the slice order', (t) => {
  const a = legPhantom({ ...small, seed: 3 });
  const b = legPhantom({ ...small, seed: 3, reverseSliceOrder: true });
  t.deepEqual(b.volume.normal, a.volume.normal.map((v) => 0 - v) as typeof a.volume.normal);
  const n = a.labels.rows * a.labels.columns;
  let same = 0;
  for (let k = 0; k < a.labels.slices; k++) {
    const ka = a.labels.data.subarray(k * n, (k + 1) * n), kb = b.labels.data.subarray((a.labels.slices - 1 - k) * n, (a.labels.slices - k) * n);
    for (let i = 0; i < n; i++) if (ka[i] === kb[i]) same++;
  }
  t.true(same / a.labels.data.length > 0.999);
  t.deepEqual(b.volume.sources[0]!.position.map((v) => Math.round(v * 1e6)), a.volume.sources[a.volume.slices - 1]!.position.map((v) => Math.round(v * 1e6)));
});

test('named orientations are orthonormal, sagittal/coronal as in PS3.3 C.7.6.2.1.1', (t) => {
  for (const o of ['axial', 'coronal', 'sagittal', 'oblique'] as const) {
    const { row, column } = orientationVectors(o);
    const dot = row[0] * column[0] + row[1] * column[1] + row[2] * column[2];
    t.true(Math.abs(dot) < 1e-12);
    t.true(Math.abs(Math.hypot(...row) - 1) < 1e-12 && Math.abs(Math.hypot(...column) - 1) < 1e-12);
  }
  t.deepEqual(orientationVectors('coronal'), { row: [1, 0, 0], column: [0, 0, -1] });
  t.throws(() => orientationVectors([1, 0, 0, 1, 0, 0]), { instanceOf: RangeError });
});

test('contrasts: fat brighter than muscle; T2 muscle darker; a custom table is used as given', (t) => {
  const clean = { ...small, slices: 1, seed: 8, noise: 0, biasField: 0, texture: 0, labels: 'all' as const };
  const mean = (p: ReturnType<typeof legPhantom>, label: number) => {
    let s = 0, c = 0;
    p.labels.data.forEach((l, i) => { if (l === label) { s += p.volume.data[i]!; c++; } });
    return s / c;
  };
  const t1 = legPhantom({ ...clean, contrast: 'T1' }), t2 = legPhantom({ ...clean, contrast: 'T2' });
  t.true(mean(t1, LEG_LABEL.subcutaneousFat) > 2 * mean(t1, LEG_LABEL.soleus));
  t.true(mean(t2, LEG_LABEL.soleus) / mean(t2, LEG_LABEL.subcutaneousFat) < mean(t1, LEG_LABEL.soleus) / mean(t1, LEG_LABEL.subcutaneousFat));
  const custom = legPhantom({ ...clean, contrast: { air: 5, skin: 50, fat: 100, fascia: 20, muscle: 300, cortex: 1, marrow: 90, muscles: { 1: 777 } } });
  t.is(mean(custom, LEG_LABEL.subcutaneousFat), 100);
  t.is(mean(custom, LEG_LABEL.soleus), 777);
  t.is(custom.volume.data[0], 5);
});

test('noise and bias field change intensities but never labels; values are non-negative integers', (t) => {
  const a = legPhantom({ ...small, seed: 6, noise: 0, biasField: 0 });
  const b = legPhantom({ ...small, seed: 6, noise: 40, biasField: 0.4, noiseType: 'gaussian', intensityScale: 2 });
  t.deepEqual(a.labels.data, b.labels.data);
  t.notDeepEqual(a.volume.data, b.volume.data);
  t.true(b.volume.data.every((v) => v >= 0 && Number.isInteger(v)));
  t.is(a.volume.data.filter((_, i) => a.labels.data[i] === 0).length > 0, true);
  t.is(TISSUE.air, 0);
});

test('benchmark: 256×256×40 generation time (reported, not asserted)', (t) => {
  legPhantom({ rows: 64, columns: 64, slices: 4 }); // warm up the JIT
  for (const legs of [1, 2] as const) {
    const t0 = performance.now();
    const p = legPhantom({ rows: 256, columns: 256, slices: 40, legs, seed: 1 });
    const ms = performance.now() - t0;
    t.log(`legs ${legs}: ${ms.toFixed(0)} ms for ${p.volume.data.length} voxels (${((ms * 1e6) / p.volume.data.length).toFixed(0)} ns/voxel)`);
  }
  t.pass();
});
