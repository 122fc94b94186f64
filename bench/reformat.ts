/**
 * bench:reformat (issue 14): what reading a series in another plane costs. The shipped demo model
 * (axial) on one anatomy: a coronal and a 3D-isotropic sagittal series through the product pipeline
 * (reformat → network → labels back onto the acquired grid), against the same series with the
 * reformat switched off (card plane 'any': the acquired slices straight to the network, the
 * pipeline as it was before), and against the axial acquisition of the same box. Interleaved,
 * order rotated each round, medians; the load average is printed with every round.
 * Env: BENCH_ROUNDS (default 3).
 */
import { readFileSync } from 'node:fs';
import { acquisition, LEG_PHANTOM_STYLE, type Acquisition } from '../experiments/planes/acquire.js';
import type { Volume } from '../src/dicom/volume.js';
import { loadModelPackage, type ModelPackage } from '../src/inference/model-package.js';
import { OnnxRunner } from '../src/inference/onnx-runner.js';
import { segmentAnyPlane, type AnyPlaneResult } from '../src/inference/segment-plane.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
const s2 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Case {
  label: string;
  volume: Volume;
}

export async function reformatBench(): Promise<string> {
  const shipped = await loadModelPackage('models/leg-demo');
  const asAcquired: ModelPackage = { ...shipped, card: { ...shipped.card, input: { ...shipped.card.input, plane: 'any' } } };
  const runner = await OnnxRunner.create(shipped.onnx, { intraOpNumThreads: 2, inputName: shipped.inputName, outputName: shipped.outputName });
  const style = LEG_PHANTOM_STYLE('T1');
  const make = (a: Acquisition): Volume => style.make(1401, a).volume;
  const iso: Acquisition = { ...acquisition('sagittal', { pixel: 1, spacing: 1 }) };
  const axial = make(acquisition('axial'));
  const cases: Case[] = [
    { label: `coronal ${acquisition('coronal').columns}×${acquisition('coronal').rows}×${acquisition('coronal').slices}, 0.66 × 0.66 × 3 mm`, volume: make(acquisition('coronal')) },
    { label: `sagittal 3D ${iso.columns}×${iso.rows}×${iso.slices}, 1 mm isotropic`, volume: make(iso) },
  ];
  const lines: string[] = [];
  try {
    for (const c of cases) {
      const variants: [string, () => Promise<AnyPlaneResult>][] = [
        ['reformat (product)', () => segmentAnyPlane(c.volume, shipped, runner)],
        ['as acquired (no reformat)', () => segmentAnyPlane(c.volume, asAcquired, runner)],
        ['axial acquisition, same box', () => segmentAnyPlane(axial, shipped, runner)],
      ];
      for (const [, fn] of variants) await fn(); // warm-up
      const times = new Map<string, number[]>(variants.map(([k]) => [k, []]));
      let last: AnyPlaneResult | undefined;
      const loads: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        loads.push(load());
        for (let i = 0; i < variants.length; i++) {
          const [name, fn] = variants[(i + r) % variants.length]!;
          const t0 = performance.now();
          const out = await fn();
          times.get(name)!.push(performance.now() - t0);
          if (name.startsWith('reformat')) last = out;
        }
        console.error(`  ${c.label} round ${r + 1}: ${variants.map(([k]) => `${k} ${s2(times.get(k)![r]!)}`).join(', ')} (load ${loads[r]})`);
      }
      const ref = median(times.get('reformat (product)')!);
      const plain = median(times.get('as acquired (no reformat)')!);
      const ax = median(times.get('axial acquisition, same box')!);
      lines.push(`| ${c.label} | ${s2(ref)} | ${last!.planeTimings.reformat.toFixed(0)} + ${last!.planeTimings.reformatBack.toFixed(0)} ms | ${s2(plain)} | **${(ref / plain).toFixed(2)}** | ${s2(ax)} | ${(ref / ax).toFixed(2)} | ${loads.join(', ')} |`);
    }
  } finally {
    await runner.close();
  }
  return [
    `Reformat cost, demo model (128×128 at 1 mm, batch 8), onnxruntime-node CPU 2 threads, medians of ${ROUNDS} interleaved rounds`,
    '| series | pipeline with reformat | of which reformat + labels back | same series, no reformat | **ratio** | axial acquisition (24 slices) | ratio to axial | load per round |',
    '|---|---|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  reformatBench().then(
    (table) => console.log(`\n${table}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
