import { existsSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { buildNode } from '../app.js';
import type { Config } from '../config/schema.js';
import { loadModelPackage, type ModelPackage } from '../inference/model-package.js';
import { OnnxRunner } from '../inference/onnx-runner.js';
import { SkippedSeriesError } from '../inference/segment-plane.js';
import { segmentSeries } from '../inference/segment-series.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile() && !e.name.startsWith('.')) out.push(p);
  }
  return out.sort();
}

/**
 * `dafne-node segment SERIES_DIR [--model ID|DIR] --out seg.dcm`: for readers and researchers
 * without a PACS. `--model` is a package directory (model.onnx + model.json) or the id of a
 * model in this node's registry (its active generation); without it, the registry's default
 * (`inference.defaultModel`, the shipped demo model on a fresh node). A series of any plane is
 * reformatted into the model's plane; one too coarse for that is skipped: no file, exit 65.
 */
export async function segmentCommand(config: Config, args: string[]): Promise<number> {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dir = args.find((a, i) => !a.startsWith('--') && !['--model', '--out', '--threads'].includes(args[i - 1] ?? ''));
  const modelArg = opt('--model') ?? config.inference.defaultModel;
  const out = opt('--out');
  if (!dir || !out) {
    process.stderr.write('usage: dafne-node segment SERIES_DIR --out seg.dcm [--model ID|DIR] [--threads N]\n');
    return 64;
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`dafne-node segment: ${dir} is not a directory\n`);
    return 66;
  }
  let pkg: ModelPackage;
  if (existsSync(path.join(modelArg, 'model.json'))) pkg = await loadModelPackage(modelArg);
  else {
    const node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2) });
    try {
      pkg = await node.models.active(modelArg);
    } finally {
      await node.close();
    }
  }
  const files = await listFiles(dir);
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: Number(opt('--threads') ?? 2), inputName: pkg.inputName, outputName: pkg.outputName });
  const bar = new SingleBar({ format: 'segment [{bar}] {value}/{total} slices', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 });
  try {
    bar.start(1, 0);
    const result = await segmentSeries(
      (function* () {
        for (const f of files) yield readFileSync(f);
      })(),
      pkg,
      runner,
      { softwareVersion: VERSION, onProgress: (done, total) => bar.setTotal(total) ?? bar.update(done) },
    );
    bar.stop();
    process.stdout.write(`plane: ${result.plan.reason}\n`);
    await fs.writeFile(out, result.seg);
    const t = result.timings;
    process.stdout.write(
      `wrote ${out}: ${result.segments.length} segments on ${result.labels.slices} slices by ${pkg.card.id} generation ${pkg.card.generation}\n` +
        `times (ms): volume ${result.volumeMs.toFixed(0)}, pipeline ${t.total.toFixed(0)} (network ${t.inference.toFixed(0)}), SEG ${result.encodeMs.toFixed(0)}\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof SkippedSeriesError)) throw err;
    bar.stop();
    process.stderr.write(`dafne-node segment: ${err.message}; no SEG written\n`);
    return 65;
  } finally {
    bar.stop();
    await runner.close();
  }
}
