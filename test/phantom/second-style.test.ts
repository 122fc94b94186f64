import test from 'ava';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelVolume, Vec3, Volume } from '../../src/dicom/volume.js';
import { LEG_LABEL } from '../../src/phantom/leg-labels.js';
import { anatomyPlan } from '../../src/phantom/second-style/anatomy-plan.js';
import { main as cli } from '../../src/phantom/second-style/cli.js';
import { signalTable } from '../../src/phantom/second-style/contrast.js';
import { CrossSections } from '../../src/phantom/second-style/cross-sections.js';
import { buildGrid, zRange } from '../../src/phantom/second-style/grid.js';
import { NOMINAL_CENTRE, secondStylePhantom, type SecondStyleOptions } from '../../src/phantom/second-style/index.js';
import { resolveOptions } from '../../src/phantom/second-style/options.js';
import { sampleGrid } from '../../src/phantom/second-style/sample-grid.js';
import { labelTable, TISSUE } from '../../src/phantom/second-style/tissues.js';

const clean: SecondStyleOptions = { noise: 0, biasField: 0 };
const small: SecondStyleOptions = { rows: 96, columns: 96, slices: 6, pixelSpacing: [1.8, 1.8] };

/** Patient-space centre of voxel (i, j, k). */
const centre = (g: Volume | LabelVolume, i: number, j: number, k: number): Vec3 =>
  [0, 1, 2].map((a) => g.origin[a]! + i * g.spacing[0] * g.rowDirection[a]! + j * g.spacing[1] * g.columnDirection[a]! + k * g.spacing[2] * g.normal[a]!) as Vec3;

/** One axial 1 mm slice through the leg axis at calf position s (−1 ankle, +1 knee). */
function axialAt(seed: number, s: number, extra: SecondStyleOptions = {}) {
  const plan = anatomyPlan(seed);
  const z = plan.axisPoint[2] + (s * plan.calfLength) / 2;
  return secondStylePhantom({ seed, rows: 192, columns: 192, slices: 1, pixelSpacing: [1, 1], sliceSpacing: 1, sliceThickness: 0, ...clean, center: [plan.axisPoint[0], plan.axisPoint[1], z], ...extra });
}

/** Area (voxels) and mean patient x, y of each label 0..6 in slice 0. */
function stats(l: LabelVolume) {
  const area = new Array<number>(7).fill(0), x = new Array<number>(7).fill(0), y = new Array<number>(7).fill(0);
  for (let j = 0; j < l.rows; j++) for (let i = 0; i < l.columns; i++) {
    const v = l.data[j * l.columns + i]!;
    const p = centre(l, i, j, 0);
    area[v]!++; x[v]! += p[0]; y[v]! += p[1];
  }
  return { area, x: x.map((s, v) => s / area[v]!), y: y.map((s, v) => s / area[v]!) };
}

test('same seed gives the same volume and labels; another seed does not', (t) => {
  const a = secondStylePhantom({ ...small, seed: 7 });
  const b = secondStylePhantom({ ...small, seed: 7 });
  const c = secondStylePhantom({ ...small, seed: 8 });
  t.deepEqual(Buffer.from(a.volume.data.buffer), Buffer.from(b.volume.data.buffer));
  t.deepEqual(Buffer.from(a.labels.data.buffer), Buffer.from(b.labels.data.buffer));
  t.notDeepEqual(Buffer.from(a.labels.data.buffer), Buffer.from(c.labels.data.buffer));
  t.notDeepEqual(Buffer.from(a.volume.data.buffer), Buffer.from(c.volume.data.buffer));
});

test('geometry: centred grid, sources along the normal, integer intensities below 4000, label values 0..6', (t) => {
  const p = secondStylePhantom({ ...small, seed: 3, orientation: 'oblique', reverseSliceOrder: true, center: [-80, 10, 20] });
  const v = p.volume;
  const mid = centre(v, (v.columns - 1) / 2, (v.rows - 1) / 2, (v.slices - 1) / 2);
  mid.forEach((m, a) => t.true(Math.abs(m - [-80, 10, 20][a]!) < 1e-9));
  t.deepEqual(v.spacing, [1.8, 1.8, 5]);
  const n = v.normal, cross = [v.rowDirection[1] * v.columnDirection[2] - v.rowDirection[2] * v.columnDirection[1], v.rowDirection[2] * v.columnDirection[0] - v.rowDirection[0] * v.columnDirection[2], v.rowDirection[0] * v.columnDirection[1] - v.rowDirection[1] * v.columnDirection[0]];
  t.true(Math.abs(n[0] * cross[0]! + n[1] * cross[1]! + n[2] * cross[2]! + 1) < 1e-9, 'reverseSliceOrder: normal = −(row × column)');
  v.sources.forEach((s, k) => s.position.forEach((x, a) => t.true(Math.abs(x - (v.origin[a]! + k * 5 * n[a]!)) < 1e-9)));
  t.is(new Set(v.sources.map((s) => s.sopInstanceUid)).size, v.slices);
  t.is(p.labels.seriesInstanceUid, v.seriesInstanceUid);
  t.true(v.data.every((x) => Number.isInteger(x) && x >= 0 && x < 4000));
  t.true(p.labels.data.every((x) => x <= 6));
});

test('seeded variation: radius 40–60 mm, axis within 15 mm of the nominal centre, tilt ≤ 5°', (t) => {
  const radii = new Set<number>();
  for (let seed = 1; seed <= 60; seed++) {
    const p = anatomyPlan(seed);
    t.true(p.radius >= 40 && p.radius <= 60);
    t.true(Math.hypot(p.axisPoint[0] - NOMINAL_CENTRE[0], p.axisPoint[1] - NOMINAL_CENTRE[1]) <= 15);
    t.true(Math.atan(Math.hypot(...p.tilt)) <= (5 * Math.PI) / 180 + 1e-12);
    radii.add(Math.round(p.radius / 5));
  }
  t.true(radii.size >= 4, 'radii spread over the range');
});

test('axial, coronal and sagittal samplings of one seed agree where voxel centres coincide', (t) => {
  // 1 mm isotropic grids with the same centre: every voxel centre of one is a voxel centre of the others.
  const base = { seed: 11, ...clean, pixelSpacing: [1, 1] as [number, number], sliceSpacing: 1, sliceThickness: 0 };
  const ax = secondStylePhantom({ ...base, orientation: 'axial', columns: 128, rows: 128, slices: 40 }).labels;
  const co = secondStylePhantom({ ...base, orientation: 'coronal', columns: 128, rows: 40, slices: 128 }).labels;
  const sa = secondStylePhantom({ ...base, orientation: 'sagittal', columns: 128, rows: 40, slices: 128 }).labels;
  let same = 0, sameSag = 0, fg = 0;
  for (let k = 0; k < 40; k++) for (let j = 0; j < 128; j++) for (let i = 0; i < 128; i++) {
    const a = ax.data[(k * 128 + j) * 128 + i]!;
    // coronal: row +x, column −z, normal +y; sagittal: row +y, column −z, normal −x (row × column)
    const c = co.data[(j * 40 + (39 - k)) * 128 + i]!;
    const s = sa.data[((127 - i) * 40 + (39 - k)) * 128 + j]!;
    if (a === 0 && c === 0 && s === 0) continue;
    fg++;
    if (a === c) same++;
    if (a === s) sameSag++;
  }
  t.log(`foreground ${fg}: axial/coronal ${(same / fg).toFixed(5)}, axial/sagittal ${(sameSag / fg).toFixed(5)}`);
  t.true(fg > 100_000, `muscle voxels compared: ${fg}`);
  t.true(same / fg >= 0.99, `axial/coronal agreement ${same / fg}`);
  t.true(sameSag / fg >= 0.99, `axial/sagittal agreement ${sameSag / fg}`);
});

test('labels are the tissue at the voxel centre in patient space, on any grid (oblique)', (t) => {
  const p = secondStylePhantom({ ...small, seed: 5, orientation: 'oblique', ...clean });
  // A lookup built independently of the grid (its own z range) must give every label.
  const anatomy = new CrossSections(p.plan, -400, 400);
  const lut = labelTable();
  let wrong = 0;
  const l = p.labels;
  for (let k = 0; k < l.slices; k++) for (let j = 0; j < l.rows; j++) for (let i = 0; i < l.columns; i++) {
    const [x, y, z] = centre(l, i, j, k);
    if (lut[anatomy.tissueAt(x, y, z)] !== l.data[(k * l.rows + j) * l.columns + i]) wrong++;
  }
  t.log(`${wrong} of ${l.data.length} differ`);
  t.true(wrong <= l.data.length * 0.001, `${wrong} labels differ`);
  t.true(l.data.some((v) => v === LEG_LABEL.soleus));
});

test('mid-calf anatomy of the right leg: all six muscles, soleus largest, compartments where they belong', (t) => {
  let gmLarger = 0;
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  for (const seed of seeds) {
    const { area, x, y } = stats(axialAt(seed, 0).labels);
    for (let v = 1; v <= 6; v++) t.true(area[v]! >= 150, `seed ${seed}: label ${v} covers ${area[v]} mm² at mid-calf`);
    const sol = area[LEG_LABEL.soleus]!, gm = area[LEG_LABEL.gastrocnemiusMedialis]!, gl = area[LEG_LABEL.gastrocnemiusLateralis]!;
    t.true(sol > gm && sol > gl, `seed ${seed}: soleus is the largest posterior muscle`);
    t.true(sol >= 500 && sol <= 3000, `seed ${seed}: soleus ${sol} mm²`);
    if (gm > gl) gmLarger++;
    t.true(y[LEG_LABEL.tibialisAnterior]! < y[LEG_LABEL.soleus]!, 'TA anterior (−y) of soleus');
    t.true(y[LEG_LABEL.extensorDigitorumLongus]! < y[LEG_LABEL.soleus]!, 'EDL anterior of soleus');
    t.true(y[LEG_LABEL.gastrocnemiusMedialis]! > y[LEG_LABEL.soleus]!, 'gastrocnemius superficial (posterior) to soleus');
    t.true(x[LEG_LABEL.peroneus]! < x[LEG_LABEL.tibialisAnterior]!, 'peroneus lateral (−x for the right leg) of TA');
    t.true(x[LEG_LABEL.extensorDigitorumLongus]! < x[LEG_LABEL.tibialisAnterior]!, 'EDL lateral of TA');
    t.true(x[LEG_LABEL.gastrocnemiusMedialis]! > x[LEG_LABEL.gastrocnemiusLateralis]!, 'medial head medial (+x)');
  }
  t.true(gmLarger >= 8, `medial head larger than lateral in ${gmLarger}/10 seeds`);
});

test('distal calf: the gastrocnemius is gone while the soleus persists', (t) => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const low = stats(axialAt(seed, -0.6).labels).area;
    t.is(low[LEG_LABEL.gastrocnemiusMedialis], 0, `seed ${seed}`);
    t.is(low[LEG_LABEL.gastrocnemiusLateralis], 0, `seed ${seed}`);
    t.true(low[LEG_LABEL.soleus]! > 150, `seed ${seed}: soleus ${low[LEG_LABEL.soleus]} mm² at s = −0.6`);
    const mid = stats(axialAt(seed, 0).labels).area;
    t.true(low[LEG_LABEL.tibialisAnterior]! < mid[LEG_LABEL.tibialisAnterior]! / 2, 'TA tapers into its tendon');
  }
});

/** Mean image value over voxels whose centre tissue is `tissue` (or has label `label`). */
function meanOf(p: ReturnType<typeof secondStylePhantom>, pick: (tissue: number, label: number) => boolean): number {
  const anatomy = new CrossSections(p.plan, -400, 400);
  const v = p.volume;
  let sum = 0, n = 0;
  for (let j = 0; j < v.rows; j++) for (let i = 0; i < v.columns; i++) {
    const [x, y, z] = centre(v, i, j, 0);
    if (pick(anatomy.tissueAt(x, y, z), p.labels.data[j * v.columns + i]!)) { sum += v.data[j * v.columns + i]!; n++; }
  }
  return sum / n;
}

test('contrasts: fat brighter than muscle on T1 and PD, darker on T2-fatsat and Dixon water', (t) => {
  const fat = (tissue: number) => tissue === TISSUE.fat;
  const soleus = (_: number, label: number) => label === LEG_LABEL.soleus;
  for (const contrast of ['T1', 'PD'] as const) {
    const p = axialAt(4, 0, { contrast, noise: 0.03 });
    t.true(meanOf(p, fat) > 1.4 * meanOf(p, soleus), contrast);
  }
  for (const contrast of ['T2-fatsat', 'dixon-water'] as const) {
    const p = axialAt(4, 0, { contrast, noise: 0.03 });
    t.true(meanOf(p, fat) < 0.5 * meanOf(p, soleus), contrast);
  }
});

test('per-muscle gains differ within ±8 %, and fatty infiltration raises muscle T1 signal toward fat', (t) => {
  const gains = anatomyPlan(9).muscleGain;
  t.true(gains.every((g) => g >= 0.92 && g <= 1.08));
  t.true(Math.max(...gains) - Math.min(...gains) > 0.02);
  const soleus = (_: number, label: number) => label === LEG_LABEL.soleus;
  const ta = (_: number, label: number) => label === LEG_LABEL.tibialisAnterior;
  const lean = meanOf(axialAt(9, 0), soleus);
  const fatty = meanOf(axialAt(9, 0, { fattyInfiltration: { soleus: 0.3 } }), soleus);
  t.true(fatty > lean * 1.4, `soleus ${lean} → ${fatty}`);
  t.true(Math.abs(meanOf(axialAt(9, 0, { fattyInfiltration: { soleus: 0.3 } }), ta) - meanOf(axialAt(9, 0), ta)) < 1, 'other muscles unchanged');
});

test('bias field: a smooth multiplicative shading bounded by the amplitude', (t) => {
  const flat = axialAt(6, 0, { noise: 0, biasField: 0 }).volume;
  const biased = axialAt(6, 0, { noise: 0, biasField: 0.4 }).volume;
  const w = flat.columns;
  const ratio = new Float64Array(flat.data.length).fill(Number.NaN);
  for (let n = 0; n < ratio.length; n++) if (flat.data[n]! > 300) ratio[n] = biased.data[n]! / flat.data[n]!;
  const r = [...ratio].filter(Number.isFinite);
  t.true(Math.min(...r) >= 0.59 && Math.max(...r) <= 1.41, `ratio ${Math.min(...r)}..${Math.max(...r)}`);
  t.true(Math.max(...r) - Math.min(...r) > 0.1, 'the shading varies across the leg');
  // Smooth: neighbouring voxels (1 mm apart) have nearly the same gain.
  const steps: number[] = [];
  for (let n = 0; n < ratio.length - 1; n++) if ((n + 1) % w && Number.isFinite(ratio[n]!) && Number.isFinite(ratio[n + 1]!)) steps.push(Math.abs(ratio[n + 1]! - ratio[n]!));
  steps.sort((a, b) => a - b);
  t.true(steps[Math.floor(steps.length * 0.99)]! < 0.01, `99th percentile step ${steps[Math.floor(steps.length * 0.99)]}`);
});

test('ghost: a faint copy half a field of view away along the column direction', (t) => {
  const opts = { seed: 2, rows: 128, columns: 128, slices: 1, pixelSpacing: [1.4, 1.4] as [number, number], ...clean };
  const plain = secondStylePhantom(opts).volume;
  const ghosted = secondStylePhantom({ ...opts, ghost: 0.08 }).volume;
  let added = 0, expected = 0;
  for (let j = 0; j < 128; j++) for (let i = 0; i < 128; i++) {
    added += ghosted.data[j * 128 + i]! - plain.data[j * 128 + i]!;
    expected += 0.08 * plain.data[((j + 64) % 128) * 128 + i]!;
  }
  t.true(Math.abs(added - expected) < expected * 0.02, `${added} vs ${expected}`);
});

test('slice thickness blurs boundaries in the image but never the labels', (t) => {
  // Coronal: the slice normal (y) crosses the anterior/posterior muscle boundaries.
  const opts = { seed: 3, orientation: 'coronal' as const, rows: 128, columns: 128, slices: 3, pixelSpacing: [1.4, 1.4] as [number, number], sliceSpacing: 6, ...clean };
  const thin = secondStylePhantom({ ...opts, sliceThickness: 0 });
  const thick = secondStylePhantom({ ...opts, sliceThickness: 6 });
  t.deepEqual(Buffer.from(thin.labels.data), Buffer.from(thick.labels.data));
  const anatomy = new CrossSections(thin.plan, -400, 400);
  const lut = signalTable('T1', thin.plan.muscleGain, 0);
  const mixed = (v: Volume) => {
    let n = 0;
    for (let k = 0; k < v.slices; k++) for (let j = 0; j < v.rows; j++) for (let i = 0; i < v.columns; i++) {
      const [x, y, z] = centre(v, i, j, k);
      if (Math.abs(v.data[(k * v.rows + j) * v.columns + i]! - lut[anatomy.tissueAt(x, y, z)]!) > 20) n++;
    }
    return n;
  };
  const a = mixed(thin.volume), b = mixed(thick.volume);
  t.log(`mixed voxels: thin ${a}, thick ${b}`);
  t.true(b > 1.5 * a, `voxels off their centre tissue's signal: thin ${a}, thick ${b}`);
});

test('the 8-neighbour shortcut matches exact 2×2 sub-sampling', (t) => {
  const o = resolveOptions({ seed: 12, rows: 96, columns: 96, slices: 3, pixelSpacing: [1, 1], sliceSpacing: 3, orientation: 'oblique' });
  const g = buildGrid(o);
  const plan = anatomyPlan(12);
  const anatomy = new CrossSections(plan, ...zRange(g, o.sliceThickness));
  const lut = signalTable('T1', plan.muscleGain, 0);
  const fast = sampleGrid(g, anatomy, lut, o.sliceThickness);
  const exact = sampleGrid(g, anatomy, lut, o.sliceThickness, true);
  t.deepEqual(Buffer.from(fast.tissue), Buffer.from(exact.tissue));
  let off = 0;
  for (let n = 0; n < fast.signal.length; n++) if (Math.abs(fast.signal[n]! - exact.signal[n]!) > 1) off++;
  t.log(`${off} of ${fast.signal.length} voxels differ by more than 1`);
  t.true(off <= fast.signal.length * 0.005, `${off} of ${fast.signal.length} voxels differ`);
});

test('256×256×30 generates in seconds (regression guard; ~2 s on one core)', (t) => {
  const t0 = performance.now();
  secondStylePhantom({ seed: 1, rows: 256, columns: 256, slices: 30 });
  const s = (performance.now() - t0) / 1000;
  t.log(`${s.toFixed(2)} s`);
  t.true(s < 10);
});

test('CLI writes the DICOM series into DIR and the labels beside it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'second-style-'));
  try {
    const out = join(root, 'case7');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await cli(['--seed', '7', '--orientation', 'coronal', '--out', out, '--rows', '40', '--columns', '48', '--slices', '5', '--pixel-spacing', '3,3', '--slice-spacing', '6', '--shuffle']);
    } finally { process.stdout.write = write; }
    const files = (await readdir(out)).sort();
    t.deepEqual(files, ['IM00001.dcm', 'IM00002.dcm', 'IM00003.dcm', 'IM00004.dcm', 'IM00005.dcm']);
    t.is((await readFile(join(out, files[0]!))).subarray(128, 132).toString(), 'DICM');
    const raw = await readFile(join(root, 'case7-labels.raw'));
    const meta = JSON.parse(await readFile(join(root, 'case7-labels.json'), 'utf8'));
    t.is(raw.length, 40 * 48 * 5);
    t.like(meta, { rows: 40, columns: 48, slices: 5, seed: 7, raw: 'case7-labels.raw', spacing: [3, 3, 6], rowDirection: [1, 0, 0], columnDirection: [0, 0, -1] });
    t.is(meta.sources.length, 5);
    // Same seed and geometry from the API: the same labels.
    const again = secondStylePhantom({ seed: 7, orientation: 'coronal', rows: 40, columns: 48, slices: 5, pixelSpacing: [3, 3], sliceSpacing: 6 });
    t.deepEqual(raw, Buffer.from(again.labels.data));
    t.true(raw.some((v) => v > 0));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
