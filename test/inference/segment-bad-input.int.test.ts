import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { REPO_ROOT } from '../helpers/node-process.js';

/**
 * Issue 3's bad-input cases, through `dafne-node segment` as a user runs it: each gives a clear
 * error naming the cause, a non-zero exit, and no SEG file.
 */
const run = promisify(execFile);
let dir = '';

const card = (labels: number[]) => ({
  schema: 'dafne-model-card/1',
  id: 'threshold-test',
  name: 'Threshold test model',
  generation: 0,
  parentHash: null,
  input: { kind: '2d-slices', size: [64, 64], pixelSpacing: [3, 3], normalization: { method: 'fixed', offset: 0, scale: 1 } },
  labels: labels.map((value) => ({ value, name: `l${value}`, category: { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' }, type: { value: '71616004', scheme: 'SCT', meaning: 'Muscle' }, color: [255, 0, 0] })),
  training: { origin: 'built-in' },
});

async function modelDir(name: string, labels: number[]): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(path.join(d, 'model.onnx'), writeOnnx(thresholdModel({ thresholds: [80, 160, 260] })));
  await writeFile(path.join(d, 'model.json'), JSON.stringify(card(labels)));
  return d;
}

async function seriesDir(name: string, files: Buffer[]): Promise<string> {
  const d = path.join(dir, name);
  await mkdir(d, { recursive: true });
  await Promise.all(files.map((f, i) => writeFile(path.join(d, `${String(i).padStart(3, '0')}.dcm`), f)));
  return d;
}

async function segment(series: string, model: string): Promise<{ code: number; stderr: string; out: string }> {
  const out = path.join(dir, `${path.basename(series)}-${path.basename(model)}.seg.dcm`);
  const env = { ...process.env, DAFNE_DATA_DIR: path.join(dir, 'var'), LOG_LEVEL: 'silent' };
  return run(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'segment', series, '--model', model, '--out', out], { env }).then(
    () => ({ code: 0, stderr: '', out }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr, out }),
  );
}

const phantom = (orientation: 'axial' | 'coronal', seriesInstanceUid?: string, frameOfReferenceUid?: string) =>
  legPhantom({ seed: 3, rows: 32, columns: 32, slices: 5, pixelSpacing: [3, 3], orientation, seriesInstanceUid, frameOfReferenceUid });

test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'segment-bad-'));
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a series with inconsistent orientation: mixed-orientation error, no SEG', async (t) => {
  const a = await writeLegSeries(phantom('axial').volume, {});
  const b = await writeLegSeries(phantom('coronal', a.seriesInstanceUID, a.frameOfReferenceUID).volume, { seriesInstanceUID: a.seriesInstanceUID, studyInstanceUID: a.studyInstanceUID, frameOfReferenceUID: a.frameOfReferenceUID });
  const r = await segment(await seriesDir('mixed', [...a.files.slice(0, 3), ...b.files.slice(0, 2)]), await modelDir('ok-model', [1, 2, 3]));
  t.not(r.code, 0);
  t.regex(r.stderr, /orientation/i);
  t.false(existsSync(r.out));
});

test('a series with a missing slice: the gap is reported, not guessed', async (t) => {
  const s = await writeLegSeries(phantom('axial').volume, {});
  const r = await segment(await seriesDir('gap', [s.files[0]!, s.files[1]!, s.files[3]!, s.files[4]!]), await modelDir('ok-model', [1, 2, 3]));
  t.not(r.code, 0);
  t.regex(r.stderr, /missing|gap/i);
  t.false(existsSync(r.out));
});

test('an unsupported transfer syntax is named', async (t) => {
  const s = await writeLegSeries(phantom('axial').volume, { transferSyntax: 'jpeg-ls-lossless' });
  // Same length UID, so the File Meta stays well-formed: JPEG 2000 Part 2 multi-component (no decoder).
  const files = s.files.map((f) => Buffer.from(f.toString('latin1').replace('1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.92'), 'latin1'));
  const r = await segment(await seriesDir('unsupported-ts', files), await modelDir('ok-model', [1, 2, 3]));
  t.not(r.code, 0);
  t.regex(r.stderr, /1\.2\.840\.10008\.1\.2\.4\.92/);
  t.false(existsSync(r.out));
});

test('a model card with a wrong label table names the field', async (t) => {
  const s = await writeLegSeries(phantom('axial').volume, {});
  const r = await segment(await seriesDir('fine', s.files), await modelDir('bad-labels', [1, 2, 4]));
  t.not(r.code, 0);
  t.regex(r.stderr, /labels: label values must be 1\.\.n without gaps/);
  t.false(existsSync(r.out));
});
