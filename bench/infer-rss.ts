/**
 * One whole segmentation (DICOM files → volume → pipeline → SEG) in a fresh process, printing
 * its peak RSS. Files are read one at a time, as the node reads them from the archive.
 *
 * The peak is VmHWM from /proc/self/status, not getrusage's ru_maxrss: Linux carries the parent's
 * RSS at fork into the child's ru_maxrss across exec (the forked copy of the parent's memory is
 * the "old mm" whose high-water mark exec records), so a child spawned by a bench process that
 * holds 900 MB of phantoms reports at least 900 MB whatever it does. That is what the 903 MiB run
 * of 18:38 was (docs/benchmarks.md). VmHWM belongs to the process's own address space since exec.
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
const status = (() => {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
})();
const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
const peakMiB = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
const maxRss = process.resourceUsage().maxRSS / 1024;
const source = hwm ? `VmHWM; ru_maxrss ${maxRss.toFixed(0)} MiB counts the parent at fork` : 'ru_maxrss, includes the parent at fork';
console.log(
  `512×512×200 MR series from ${files.length} DICOM files to a SEG of ${(r.seg.length / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s (volume ${(r.volumeMs / 1000).toFixed(1)} s, pipeline ${(r.timings.total / 1000).toFixed(1)} s, SEG ${(r.encodeMs / 1000).toFixed(2)} s): peak RSS ${peakMiB.toFixed(0)} MiB (${source}; target ≤ 800 MiB)`,
);
