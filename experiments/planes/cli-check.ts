/**
 * `node dist/experiments/planes/cli-check.js [--style second] [--seeds 930,931,932]`
 *
 * Issue 14's must-show, as a user runs it: for one anatomy acquired axial, coronal, sagittal and
 * oblique (files shuffled, anisotropic voxels), `dafne-node segment DIR --out seg.dcm` WITHOUT
 * --model on a fresh node (the registry's default model), then dciodvfy on the SEG, every frame
 * checked to be an acquired frame at its position, an independent reader (pydicom) placing the
 * SEG onto the source grid, and the muscle Dice against the phantom's exact labels.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { acquisition, ACQUISITION_PLANES, type AcquisitionPlane } from './acquire.js';
import { diceOf } from './dice.js';
import { frameProblems } from './seg-frames.js';
import { styleByName } from './styles.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

export interface CliPlaneResult {
  plane: AcquisitionPlane;
  seed: number;
  exitCode: number;
  planLine: string;
  dciodvfyErrors: number;
  frameProblems: number;
  frames: number;
  muscle: number;
  meanLabel: number;
}

/** pydicom decodes the SEG onto the source grid (test/helpers/read_seg.py, an independent reader). */
async function pydicomLabels(file: string, g: VolumeGeometry): Promise<Uint8Array> {
  const grid = `${file}.grid.json`;
  const { columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal } = g;
  await writeFile(grid, JSON.stringify({ columns, rows, slices, spacing, origin, rowDirection, columnDirection, normal }));
  const { stdout } = await run('/usr/bin/python3', [path.join(ROOT, 'test/helpers/read_seg.py'), file, grid], { maxBuffer: 1 << 30 });
  return new Uint8Array(Buffer.from((JSON.parse(stdout) as { data: string }).data, 'base64'));
}

/** One plane of one seed through the real command line, on `dataDir` (a node of its own). */
export async function cliPlane(styleName: string, seed: number, plane: AcquisitionPlane, work: string, dataDir: string): Promise<CliPlaneResult> {
  const style = styleByName(styleName);
  const { volume, labels } = style.make(seed, acquisition(plane));
  const series = await writeLegSeries(volume, { shuffle: seed });
  const dir = path.join(work, `${seed}-${plane}`);
  await mkdir(dir, { recursive: true });
  await Promise.all(series.files.map((f, i) => writeFile(path.join(dir, `${String(i).padStart(4, '0')}.dcm`), f)));
  const out = path.join(work, `${seed}-${plane}.seg.dcm`);
  const env = { ...process.env, DAFNE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const r = await run(process.execPath, [path.join(ROOT, 'bin/dafne-node.js'), 'segment', dir, '--out', out], { env, cwd: ROOT, maxBuffer: 16 << 20 }).then(
    (x) => ({ code: 0, stdout: x.stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  const planLine = r.stdout.split('\n').find((l) => l.startsWith('plane:') || l.includes('skipped')) ?? r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0) return { plane, seed, exitCode: r.code, planLine, dciodvfyErrors: -1, frameProblems: -1, frames: 0, muscle: 0, meanLabel: 0 };
  const dv = await run('/usr/bin/dciodvfy', [out], { maxBuffer: 16 << 20 }).then((x) => x.stdout + x.stderr, (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`);
  const seg = await readFile(out);
  const frames = frameProblems(seg, series.sources);
  const pred = await pydicomLabels(out, volume);
  const d = diceOf(pred, labels.data, 6);
  return { plane, seed, exitCode: 0, planLine, dciodvfyErrors: dv.split('\n').filter((l) => l.startsWith('Error')).length, frameProblems: frames.problems.length, frames: frames.frames, ...d };
}

async function main(): Promise<void> {
  const styleName = arg('--style') ?? 'second';
  const seeds = (arg('--seeds') ?? '930,931,932').split(',').map(Number);
  const work = await mkdtemp(path.join(os.tmpdir(), 'planes-cli-'));
  const dataDir = path.join(work, 'node');
  const results: CliPlaneResult[] = [];
  try {
    for (const seed of seeds) {
      for (const plane of ACQUISITION_PLANES) {
        const r = await cliPlane(styleName, seed, plane, work, dataDir);
        results.push(r);
        process.stderr.write(`  seed ${seed} ${plane}: exit ${r.exitCode}, muscle Dice ${r.muscle.toFixed(3)}, ${r.planLine}\n`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const sd = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / Math.max(1, v.length - 1));
  console.log(`\nstyle ${styleName}, seeds ${seeds.join(', ')}; \`dafne-node segment DIR --out seg.dcm\` (no --model) on a fresh node\n`);
  console.log('| plane | exit codes | dciodvfy errors | frames not on a source frame | muscle Dice (mean ± sd) | per seed | mean label Dice | ratio to axial (per seed) |');
  console.log('|---|---|---|---|---|---|---|---|');
  const axial = results.filter((r) => r.plane === 'axial');
  for (const plane of ACQUISITION_PLANES) {
    const rs = results.filter((r) => r.plane === plane);
    const m = rs.map((r) => r.muscle);
    const ratios = rs.map((r, i) => (r.muscle / axial[i]!.muscle).toFixed(2));
    console.log(`| ${plane} | ${rs.map((r) => r.exitCode).join(', ')} | ${rs.reduce((s, r) => s + r.dciodvfyErrors, 0)} | ${rs.reduce((s, r) => s + r.frameProblems, 0)} of ${rs.reduce((s, r) => s + r.frames, 0)} | ${mean(m).toFixed(3)} ± ${sd(m).toFixed(3)} | ${m.map((x) => x.toFixed(3)).join(', ')} | ${mean(rs.map((r) => r.meanLabel)).toFixed(3)} | ${ratios.join(', ')} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
