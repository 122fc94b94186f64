/**
 * One whole segmentation (DICOM files → volume → pipeline → SEG) in a fresh process, printing
 * its peak RSS. Files are read one at a time, as the node reads them from the archive.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OnnxRunner } from '../src/inference/onnx-runner.js';
import { segmentSeries } from '../src/inference/segment-series.js';
import { benchModel } from './bench-model.js';

const dir = process.argv[2]!;
const files = readdirSync(dir).sort();
const pkg = benchModel();
const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 2 });
const t0 = performance.now();
const r = await segmentSeries(
  (function* () {
    for (const f of files) yield readFileSync(path.join(dir, f));
  })(),
  pkg,
  runner,
  { softwareVersion: 'bench' },
);
const secs = (performance.now() - t0) / 1000;
await runner.close();
const peakMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  `512×512×200 MR series from ${files.length} DICOM files to a SEG of ${(r.seg.length / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s (volume ${(r.volumeMs / 1000).toFixed(1)} s, pipeline ${(r.timings.total / 1000).toFixed(1)} s, SEG ${(r.encodeMs / 1000).toFixed(2)} s): peak RSS ${peakMiB.toFixed(0)} MiB (target ≤ 800 MiB)`,
);
