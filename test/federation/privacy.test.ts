import test from 'ava';
import { createPrivateKey } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { buildVolume } from '../../src/dicom/series-volume.js';
import { makeDelta, peekManifest, type DeltaManifest } from '../../src/federation/delta.js';
import { generateKeyPair } from '../../src/federation/signing.js';
import { listInitializers, readOnnx } from '../../src/inference/onnx/onnx-io.js';
import { DataType } from '../../src/inference/onnx/onnx-types.js';
import { toModelGrid } from '../../src/learning/model-grid.js';
import { recipe } from '../../src/learning/recipe.js';
import { initTf } from '../../src/learning/tf-backend.js';
import { TrainableOnnx } from '../../src/learning/trainable-onnx.js';
import { fineTune } from '../../src/learning/trainer.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import { demoCardJson, demoOnnx } from './demo-fixtures.js';

/**
 * Issue 7 deliverable 2: no UIDs, names, dates or pixel data in a federation payload. A real one:
 * a DICOM series with known identifiers is written, read back through the DICOM reader onto the
 * model grid, the demo model is fine-tuned on it (one step, the real trainer), and the delta files
 * (every encoding) are searched for every identifier and for the pixel data in every form it took.
 */
const PHI = {
  patientName: 'PRIVACYTEST^JOSEPHINE^Q',
  patientId: 'PID-88421-XYZ',
  patientBirthDate: '19610317',
  accessionNumber: 'ACC99887766',
  studyDescription: 'CALF MRI FOR PRIVACY TEST',
  seriesDescription: 'T1 AXIAL PRIVACY',
  studyId: 'STUDY4242',
};
const when = new Date('2023-04-05T10:11:12Z');

test('delta files carry no identifiers, dates or pixel data of the training series', async (t) => {
  const ph = legPhantom({ seed: 77, contrast: 'T1', rows: 128, columns: 128, pixelSpacing: [1, 1], slices: 3, sliceSpacing: 10, side: 'right' });
  const written = await writeLegSeries(ph.volume, { ...PHI, date: when, contrast: 'T1' });
  const volume = await buildVolume(written.files);
  const card = demoCardJson();
  const set = toModelGrid(volume, ph.labels, card, [1, 2]);

  await initTf('wasm');
  const base = demoOnnx();
  const net = new TrainableOnnx(readOnnx(base));
  await fineTune(net, set, card.labels.length + 1, recipe({ batchSize: 2, epochs: 1, learningRate: 1e-3 }));
  const updated = net.toBytes();
  net.dispose();
  t.false(updated.equals(base), 'the fine-tune changed the weights: the payload is a real update');

  const secrets = [
    ...Object.values(PHI),
    'PRIVACYTEST',
    'JOSEPHINE',
    written.studyInstanceUID,
    written.seriesInstanceUID,
    written.frameOfReferenceUID,
    ...written.sopInstanceUIDs,
    '20230405', '2023-04-05', '101112', '10:11:12',
  ];
  const key = createPrivateKey(generateKeyPair().privateKeyPem);
  const floatNames = listInitializers(readOnnx(base)).filter((x) => x.dataType === DataType.FLOAT).map((x) => x.name).sort();
  for (const encoding of ['float16-zlib', 'float32-zlib', 'sparse-float16-zlib'] as const) {
    const file = makeDelta(base, updated, { modelId: 'leg-demo', siteId: 'site-a', trainingSlices: set.count, trainingSeries: 1, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.9 }, software: 'dafne-node test', encoding }, key);
    const manifest = peekManifest(file);
    const manifestJson = file.subarray(12, 12 + file.readUInt32LE(8)).toString('utf8');
    const payload = inflateSync(file.subarray(16 + file.readUInt32LE(8), 16 + file.readUInt32LE(8) + file.readUInt32LE(12 + file.readUInt32LE(8))));

    // 1. The manifest holds exactly the contract's fields; tensors are the model's own weights, and the
    //    payload is exactly the bytes those tensors describe (nothing else hidden in it).
    t.deepEqual(Object.keys(manifest).sort(), ['baseSha256', 'encoding', 'format', 'localGate', 'modelId', 'payloadSha256', 'siteId', 'software', 'tensors', 'trainingSeries', 'trainingSlices'] satisfies (keyof DeltaManifest)[]);
    t.deepEqual(manifest.tensors.map((x) => x.name).sort(), floatNames);
    t.is(payload.length, manifest.tensors.reduce((n, x) => n + x.length, 0));
    // 2. No identifier, in the file or in the decompressed payload, as latin1 or UTF-16.
    for (const where of [file, payload]) {
      for (const s of secrets) {
        t.is(where.indexOf(Buffer.from(s, 'latin1')), -1, `${encoding}: "${s}" found`);
        t.is(where.indexOf(Buffer.from(s, 'utf16le')), -1, `${encoding}: "${s}" (UTF-16) found`);
      }
    }
    // 3. Nothing shaped like a DICOM UID or a date in the manifest text.
    t.notRegex(manifestJson, /\d+\.\d+\.\d+\.\d+\.\d+/);
    t.notRegex(manifestJson, /(19|20)\d\d-?[01]\d-?[0-3]\d/);
    // 4. No pixel data: no 16-byte run of the stored pixels (as written in the DICOM files) or of the
    //    normalised model-grid images (what the trainer saw) appears anywhere in the payload.
    const stored = Buffer.from(written.stored.buffer, written.stored.byteOffset, written.stored.byteLength);
    const grid = Buffer.from(set.images.buffer, set.images.byteOffset, set.images.byteLength);
    let probes = 0;
    for (const source of [stored, grid]) {
      for (let at = 0; at + 16 <= source.length; at += Math.floor(source.length / 300)) {
        const w = source.subarray(at, at + 16);
        if (w.every((v) => v === w[0])) continue; // background runs (all zeros) say nothing
        probes++;
        t.is(payload.indexOf(w), -1, `${encoding}: pixel bytes at ${at} found in the payload`);
      }
    }
    t.true(probes > 200);
  }
});
