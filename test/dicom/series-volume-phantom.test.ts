/**
 * Cross-check of buildVolume against an independent writer: the leg phantom's series writer
 * (src/phantom, its own Enhanced MR functional groups, encoders and byte orders) in every transfer
 * syntax it offers, single-frame and Enhanced MR, files / frames shuffled.
 */
import test from 'ava';
import { TRANSFER_SYNTAX_UID, type AnyTransferSyntax } from '../../src/dicom/part10-writer.js';
import { buildVolume } from '../../src/dicom/series-volume.js';
import type { Vec3, Volume } from '../../src/dicom/volume.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';

const close = (a: readonly number[], b: readonly number[], eps = 1e-6) => a.every((x, i) => Math.abs(x - b[i]!) <= eps);

/** The phantom's slice k is our slice slices − 1 − k when its slices step against row × column. */
function expectedData(v: Volume, stored: ArrayLike<number>, slope: number, intercept: number, reversed: boolean): Float32Array {
  const n = v.rows * v.columns;
  const out = new Float32Array(stored.length);
  for (let k = 0; k < v.slices; k++) {
    const from = (reversed ? v.slices - 1 - k : k) * n;
    for (let i = 0; i < n; i++) out[k * n + i] = stored[from + i]! * slope + intercept;
  }
  return out;
}

for (const reversed of [false, true]) {
  const { volume: phantom } = legPhantom({ rows: 40, columns: 36, slices: 7, orientation: 'oblique', reverseSliceOrder: reversed, pixelSpacing: [2.5, 3], sliceSpacing: 4 });
  for (const layout of ['single-frame', 'enhanced'] as const) {
    for (const ts of Object.keys(TRANSFER_SYNTAX_UID) as AnyTransferSyntax[]) {
      test(`phantom ${layout} ${ts}${reversed ? ' (slices stepping against row × column)' : ''}`, async (t) => {
        const s = await writeLegSeries(phantom, { layout, transferSyntax: ts, shuffle: 17 });
        const v = await buildVolume(s.files);
        const want = expectedData(v, s.stored, s.rescaleSlope, s.rescaleIntercept, reversed);
        if (ts === 'jpeg-baseline') {
          const mae = v.data.reduce((sum, x, i) => sum + Math.abs(x - want[i]!), 0) / want.length;
          t.true(mae < 2 * s.rescaleSlope, `lossy: mean absolute error ${mae}`);
        } else {
          t.deepEqual(Array.from(v.data), Array.from(want), 'lossless: exact');
        }
        const n = phantom.normal;
        const flip = (a: Vec3) => a.map((x) => -x);
        t.true(close(v.normal, reversed ? flip(n) : n), `normal ${v.normal} vs ${n}`);
        const top = phantom.origin.map((o, a) => o + (phantom.slices - 1) * phantom.spacing[2] * n[a]!);
        t.true(close(v.origin, reversed ? top : phantom.origin, 1e-4), `origin ${v.origin}`);
        t.true(close(v.spacing, phantom.spacing, 1e-6), `spacing ${v.spacing} vs ${phantom.spacing}`);
        t.true(close(v.rowDirection, phantom.rowDirection) && close(v.columnDirection, phantom.columnDirection));
        const sourceOf = (k: number) => s.sources[reversed ? v.slices - 1 - k : k]!;
        t.deepEqual(v.sources.map((x) => [x.sopInstanceUid, x.frameNumber]), v.sources.map((_, k) => [sourceOf(k).sopInstanceUid, sourceOf(k).frameNumber]));
      });
    }
  }
}
