/**
 * Writes one second-style phantom as a DICOM MR series plus its ground truth:
 *
 *   node dist/src/phantom/second-style/cli.js --seed 7 --orientation coronal --out DIR
 *     [--rows N --columns N --slices N --pixel-spacing ROW,COL --slice-spacing MM --slice-thickness MM]
 *     [--contrast T1|T2-fatsat|dixon-water|dixon-fat|PD --noise SIGMA --bias-field AMP --ghost AMP]
 *     [--fatty-infiltration F --center X,Y,Z --reverse-slice-order --shuffle]
 *
 * DIR receives only the Part 10 files (IM00001.dcm …, in the writer's output order, shuffled with
 * --shuffle), so it can be imported or sent as it is. The labels go beside DIR, never into it:
 *   DIR/../<name>-labels.raw   uint8, one byte per voxel, index (k·rows + j)·columns + i
 *   DIR/../<name>-labels.json  geometry (PS3.3 C.7.6.2.1.1, as in src/dicom/volume.ts), UIDs, each
 *                              slice's SOP Instance UID and position, label names, seed and options
 * where <name> is DIR's base name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Vec3 } from '../../dicom/volume.js';
import { legLabels } from '../leg-labels.js';
import { writeLegSeries } from '../write-series.js';
import { writerContrast } from './contrast.js';
import { secondStylePhantom, type SecondStyleOptions } from './index.js';
import type { SecondStyleContrast } from './options.js';

const USAGE = `usage: node dist/src/phantom/second-style/cli.js --out DIR [--seed N] [--orientation axial|coronal|sagittal|oblique|r1,r2,r3,c1,c2,c3]
  [--rows N] [--columns N] [--slices N] [--pixel-spacing ROW,COL] [--slice-spacing MM] [--slice-thickness MM]
  [--contrast T1|T2-fatsat|dixon-water|dixon-fat|PD] [--noise SIGMA] [--bias-field AMP] [--ghost AMP]
  [--fatty-infiltration F] [--center X,Y,Z] [--reverse-slice-order] [--shuffle]
`;

const numbers = (name: string, v: string, n: number): number[] => {
  const out = v.split(',').map(Number);
  if (out.length !== n || !out.every(Number.isFinite)) throw new RangeError(`--${name} needs ${n} comma-separated numbers, got "${v}"`);
  return out;
};
const num = (name: string, v: string | undefined): number | undefined => (v === undefined ? undefined : numbers(name, v, 1)[0]);

export async function main(argv: string[]): Promise<void> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, seed: { type: 'string' }, orientation: { type: 'string' },
      rows: { type: 'string' }, columns: { type: 'string' }, slices: { type: 'string' },
      'pixel-spacing': { type: 'string' }, 'slice-spacing': { type: 'string' }, 'slice-thickness': { type: 'string' },
      contrast: { type: 'string' }, noise: { type: 'string' }, 'bias-field': { type: 'string' }, ghost: { type: 'string' },
      'fatty-infiltration': { type: 'string' }, center: { type: 'string' },
      'reverse-slice-order': { type: 'boolean' }, shuffle: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (a.help) { process.stdout.write(USAGE); return; }
  if (!a.out) throw new RangeError('--out DIR is required');
  const o = a.orientation ?? 'axial';
  const opts: SecondStyleOptions = {
    seed: num('seed', a.seed) ?? 1,
    orientation: ['axial', 'coronal', 'sagittal', 'oblique'].includes(o) ? (o as 'axial') : numbers('orientation', o, 6),
    rows: num('rows', a.rows), columns: num('columns', a.columns), slices: num('slices', a.slices),
    pixelSpacing: a['pixel-spacing'] ? (numbers('pixel-spacing', a['pixel-spacing'], 2) as [number, number]) : undefined,
    sliceSpacing: num('slice-spacing', a['slice-spacing']), sliceThickness: num('slice-thickness', a['slice-thickness']),
    contrast: a.contrast as SecondStyleContrast | undefined,
    noise: num('noise', a.noise), biasField: num('bias-field', a['bias-field']), ghost: num('ghost', a.ghost),
    fattyInfiltration: num('fatty-infiltration', a['fatty-infiltration']),
    center: a.center ? (numbers('center', a.center, 3) as Vec3) : undefined,
    reverseSliceOrder: a['reverse-slice-order'] ?? false,
  };
  const t0 = performance.now();
  const { volume, labels, plan } = secondStylePhantom(opts);
  const generated = performance.now() - t0;
  const contrast = opts.contrast ?? 'T1';
  const series = await writeLegSeries(volume, {
    contrast: writerContrast(contrast), shuffle: a.shuffle ? opts.seed! : false, laterality: 'R',
    seriesDescription: `Second-style leg phantom ${contrast} seed ${opts.seed}`, studyDescription: 'Second-style leg phantom (synthetic, evaluation only)',
    patientName: 'PHANTOM^SECOND STYLE', patientId: `SECOND-STYLE-${opts.seed}`,
  });

  const dir = resolve(a.out);
  await mkdir(dir, { recursive: true });
  await Promise.all(series.files.map((f, n) => writeFile(join(dir, `IM${String(n + 1).padStart(5, '0')}.dcm`), f)));
  const name = basename(dir);
  const raw = join(dirname(dir), `${name}-labels.raw`), json = join(dirname(dir), `${name}-labels.json`);
  await writeFile(raw, labels.data);
  const { data: _data, ...geometry } = labels;
  await writeFile(json, JSON.stringify({
    format: 'uint8 raw, one byte per voxel, index (k*rows + j)*columns + i; voxel (i,j,k) at origin + i*spacing[0]*rowDirection + j*spacing[1]*columnDirection + k*spacing[2]*normal (patient LPS, mm)',
    raw: basename(raw), style: 'second-style', seed: opts.seed, options: opts,
    labels: [{ value: 0, name: 'background' }, ...legLabels().map((l) => ({ value: l.value, name: l.name }))],
    ...geometry, sources: series.sources,
    anatomy: { axisPoint: plan.axisPoint, tilt: plan.tilt, radius: plan.radius, calfLength: plan.calfLength },
  }, null, 2));
  process.stdout.write(`${series.files.length} files in ${dir} (${volume.columns}×${volume.rows}×${volume.slices}, generated in ${(generated / 1000).toFixed(2)} s)\nlabels: ${raw}\n        ${json}\n`);
}

// Run when executed directly (not when imported by a test).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(1);
  });
}
