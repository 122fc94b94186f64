/**
 * `npm run experiment:planes [-- --seeds 900,901,902 --style leg|second --spacings 1,2,3,4,6]`
 *
 * Issue 14: the default model on one anatomy acquired axial, coronal, sagittal and oblique, through
 * the product's pipeline (segmentAnyPlane with the shipped card), Dice against the exact labels on
 * each SOURCE grid. With --spacings it also sweeps the coronal / sagittal slice spacing with the
 * skip rule lifted, which is how the card's maxThroughPlaneSpacing default was chosen
 * (docs/segmentation.md "Any acquisition plane").
 */
import { loadModelPackage, type ModelPackage } from '../../src/inference/model-package.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentAnyPlane, SkippedSeriesError } from '../../src/inference/segment-plane.js';
import { acquisition, ACQUISITION_PLANES, LEG_PHANTOM_STYLE, type AcquisitionPlane, type PhantomStyle } from './acquire.js';
import { diceOf } from './dice.js';
import { styleByName } from './styles.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const list = (v: string | undefined, d: number[]): number[] => (v ? v.split(',').map(Number) : d);
const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / Math.max(1, v.length - 1));
const f3 = (v: number): string => v.toFixed(3);

export interface PlaneRun {
  plane: AcquisitionPlane;
  spacing: number;
  seed: number;
  action: string;
  muscle: number;
  meanLabel: number;
  ms: number;
}

/** One acquisition through the pipeline; undefined when the plan skipped it. */
export async function runOne(style: PhantomStyle, seed: number, plane: AcquisitionPlane, spacing: number, pkg: ModelPackage, runner: OnnxRunner): Promise<PlaneRun | undefined> {
  const a = acquisition(plane, plane === 'axial' || plane === 'oblique' ? { axialSpacing: 5 } : { spacing });
  const { volume, labels } = style.make(seed, a);
  const t0 = performance.now();
  try {
    const r = await segmentAnyPlane(volume, pkg, runner, { backproject: null });
    const d = diceOf(r.labels.data, labels.data, pkg.card.labels.length);
    return { plane, spacing: a.sliceSpacing, seed, action: r.plan.action, ...d, ms: performance.now() - t0 };
  } catch (err) {
    if (err instanceof SkippedSeriesError) return undefined;
    throw err;
  }
}

async function main(): Promise<void> {
  const seeds = list(arg('--seeds'), [900, 901, 902]);
  const style = arg('--style') ? styleByName(arg('--style')!) : LEG_PHANTOM_STYLE('T1');
  const shipped = await loadModelPackage(arg('--model') ?? 'models/leg-demo');
  const runner = await OnnxRunner.create(shipped.onnx, { intraOpNumThreads: 2, inputName: shipped.inputName, outputName: shipped.outputName });
  process.stdout.write(`style ${style.name}, model ${shipped.card.id} gen ${shipped.card.generation}, seeds ${seeds.join(',')}\n\n`);
  process.stdout.write('| plane | slice spacing | action | muscle Dice (mean ± sd) | mean label Dice | ratio to axial | s/series |\n|---|---|---|---|---|---|---|\n');
  let axial = 0;
  for (const plane of ACQUISITION_PLANES) {
    const runs = [];
    for (const seed of seeds) {
      const r = await runOne(style, seed, plane, 3, shipped, runner);
      if (r) runs.push(r);
    }
    if (!runs.length) {
      process.stdout.write(`| ${plane} | | skipped | | | | |\n`);
      continue;
    }
    const m = runs.map((r) => r.muscle);
    if (plane === 'axial') axial = mean(m);
    process.stdout.write(`| ${plane} | ${runs[0]!.spacing} mm | ${runs[0]!.action} | ${f3(mean(m))} ± ${f3(sd(m))} | ${f3(mean(runs.map((r) => r.meanLabel)))} | ${f3(mean(m) / axial)} | ${(mean(runs.map((r) => r.ms)) / 1000).toFixed(1)} |\n`);
  }
  const spacings = arg('--spacings');
  if (spacings) {
    // The sweep lifts the skip rule (an experiment-only card) to see where Dice breaks down.
    const lifted: ModelPackage = { ...shipped, card: { ...shipped.card, input: { ...shipped.card.input, maxThroughPlaneSpacing: 50 } } };
    process.stdout.write('\n| plane | slice spacing | muscle Dice (mean ± sd) | mean label Dice | ratio to axial |\n|---|---|---|---|---|\n');
    for (const plane of ['coronal', 'sagittal'] as const) {
      for (const s of list(spacings, [])) {
        const runs = [];
        for (const seed of seeds) runs.push((await runOne(style, seed, plane, s, lifted, runner))!);
        const m = runs.map((r) => r.muscle);
        process.stdout.write(`| ${plane} | ${s} mm | ${f3(mean(m))} ± ${f3(sd(m))} | ${f3(mean(runs.map((r) => r.meanLabel)))} | ${f3(mean(m) / axial)} |\n`);
      }
    }
  }
  await runner.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
