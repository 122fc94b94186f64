import test from 'ava';
import { applyDelta, DeltaError, makeDelta, peekManifest, readDelta, type DeltaInfo } from '../../src/federation/delta.js';
import { diffInitializers, floatInitializers } from '../../src/federation/delta-tensors.js';
import { fromFloat16Bits, toFloat16Bits } from '../../src/federation/delta-float16.js';
import { generateKeyPair, sign, verify } from '../../src/federation/signing.js';
import { createPrivateKey } from 'node:crypto';
import { readOnnx, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { tinyUNet } from '../../src/inference/onnx/test-models.js';
import { perturbed, sha256, tinyModelBytes } from './fixtures.js';

const keys = generateKeyPair();
const privateKey = createPrivateKey(keys.privateKeyPem);
const info: DeltaInfo = { modelId: 'tiny', siteId: 'site-a', trainingSlices: 40, trainingSeries: 3, localGate: { heldOut: 0.81, benchmark: 0.8, corrections: 0.9 }, software: 'dafne-node 0.1.0' };
const base = tinyModelBytes();
const updated = perturbed(base, 7);
const truth = new Map(diffInitializers(readOnnx(base), readOnnx(updated)).map((t) => [t.name, t.data]));

test('float32 delta: tensors round-trip bit for bit and apply back to the updated weights', (t) => {
  const file = makeDelta(base, updated, { ...info, encoding: 'float32-zlib' }, privateKey);
  const { manifest, tensors } = readDelta(file, keys.publicKeyPem);
  t.is(manifest.baseSha256, sha256(base));
  t.is(manifest.encoding, 'float32-zlib');
  t.is(tensors.size, truth.size);
  for (const [name, d] of truth) t.deepEqual(Buffer.from(tensors.get(name)!.buffer), Buffer.from(d.buffer), name);
  // base + (updated − base) in float32 is exact when the two are within a factor 2 (Sterbenz), which a
  // fine-tune's small steps are; compare within one float32 ulp to stay honest about the general case.
  const back = floatInitializers(readOnnx(applyDelta(base, tensors)));
  const want = new Map(floatInitializers(readOnnx(updated)).map((x) => [x.name, x.data]));
  let exact = 0, total = 0;
  for (const x of back) {
    const w = want.get(x.name)!;
    for (let i = 0; i < w.length; i++) {
      total++;
      if (x.data[i] === w[i]) exact++;
      else t.true(Math.abs(x.data[i]! - w[i]!) <= Math.abs(w[i]!) * 2 ** -23, `${x.name}[${i}]`);
    }
  }
  t.is(exact, total);
});

test('float16 delta: error within 2^-11 relative (or 2^-25 absolute near zero), file smaller than float32', (t) => {
  const f32 = makeDelta(base, updated, { ...info, encoding: 'float32-zlib' }, privateKey);
  const f16 = makeDelta(base, updated, { ...info, encoding: 'float16-zlib' }, privateKey);
  const payload = (file: Buffer) => file.readUInt32LE(12 + file.readUInt32LE(8));
  t.true(payload(f16) < 0.7 * payload(f32), `${payload(f16)} vs ${payload(f32)} payload bytes`);
  const { tensors } = readDelta(f16, keys.publicKeyPem);
  let worst = 0;
  for (const [name, d] of truth) {
    const got = tensors.get(name)!;
    for (let i = 0; i < d.length; i++) {
      const err = Math.abs(got[i]! - d[i]!);
      const bound = Math.max(Math.abs(d[i]!) * 2 ** -11, 2 ** -25);
      t.true(err <= bound, `${name}[${i}]: ${got[i]} vs ${d[i]}`);
      worst = Math.max(worst, err);
    }
  }
  t.true(worst > 0); // it really is lossy: the bound above is what is being tested
});

test('float16 conversion: rounding, subnormals, saturation', (t) => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24, 1 + 2 ** -10]) t.is(fromFloat16Bits(toFloat16Bits(v)), v, String(v));
  t.is(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11)), 1); // tie → even
  t.is(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie → even (up)
  t.is(fromFloat16Bits(toFloat16Bits(1e9)), 65504);
  t.is(fromFloat16Bits(toFloat16Bits(-1e9)), -65504);
  t.is(fromFloat16Bits(toFloat16Bits(2 ** -26)), 0);
  t.is(fromFloat16Bits(toFloat16Bits(0.75 * 2 ** -24)), 2 ** -24);
});

test('sparse delta keeps the largest entries exactly where they were', (t) => {
  const file = makeDelta(base, updated, { ...info, encoding: 'sparse-float16-zlib', keepFraction: 0.1 }, privateKey);
  const { tensors } = readDelta(file, keys.publicKeyPem);
  for (const [name, d] of truth) {
    const got = tensors.get(name)!;
    const kept = got.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
    t.true(kept <= Math.ceil(0.1 * d.length), name);
    const threshold = Math.min(...Array.from(got).filter((v) => v !== 0).map(Math.abs));
    for (let i = 0; i < d.length; i++) {
      if (got[i] !== 0) t.true(Math.abs(got[i]! - d[i]!) <= Math.max(Math.abs(d[i]!) * 2 ** -11, 2 ** -25), `${name}[${i}]`);
      // Every dropped entry is no larger than the smallest kept one (float16 rounding aside).
      else t.true(Math.abs(d[i]!) <= threshold * (1 + 2 ** -10), `${name}[${i}] dropped ${d[i]} > ${threshold}`);
    }
  }
});

test('a changed payload byte is a hash error, a changed signature or another key a signature error', (t) => {
  const file = makeDelta(base, updated, info, privateKey);
  const manifest = peekManifest(file);
  const json = Buffer.from(JSON.stringify(manifest));
  const payloadAt = 8 + 4 + json.length + 4;
  const tampered = Buffer.from(file);
  tampered[payloadAt + 10] ^= 0xff;
  t.is(t.throws(() => readDelta(tampered, keys.publicKeyPem), { instanceOf: DeltaError }).code, 'bad-hash');
  const badSig = Buffer.from(file);
  badSig[badSig.length - 5] ^= 0x01;
  t.is(t.throws(() => readDelta(badSig, keys.publicKeyPem), { instanceOf: DeltaError }).code, 'bad-signature');
  t.is(t.throws(() => readDelta(file, generateKeyPair().publicKeyPem), { instanceOf: DeltaError }).code, 'bad-signature');
  // A manifest altered to claim more training data (hash still right) breaks the signature.
  const inflated = Buffer.from(file.toString('latin1').replace('"trainingSlices":40', '"trainingSlices":90'), 'latin1');
  t.is(t.throws(() => readDelta(inflated, keys.publicKeyPem), { instanceOf: DeltaError }).code, 'bad-signature');
});

test('unreadable files are format errors', (t) => {
  const file = makeDelta(base, updated, info, privateKey);
  for (const bad of [Buffer.from('hello'), file.subarray(0, file.length - 10), Buffer.concat([file, Buffer.from([0])]), tinyModelBytes()]) {
    t.is(t.throws(() => readDelta(bad, keys.publicKeyPem), { instanceOf: DeltaError }).code, 'bad-format');
  }
});

test('an extra manifest field (a patient name smuggled in) is refused even when signed', (t) => {
  const file = makeDelta(base, updated, info, privateKey);
  const manifest = { ...peekManifest(file), patientName: 'DOE^JANE' };
  const json = Buffer.from(JSON.stringify(manifest));
  const oldJsonLen = file.readUInt32LE(8);
  const rest = file.subarray(12 + oldJsonLen, file.length - 68);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const signed = Buffer.concat([file.subarray(0, 8), len, json, rest]);
  const sig = sign(signed, privateKey);
  t.true(verify(signed, sig, keys.publicKeyPem));
  const sigLen = Buffer.alloc(4);
  sigLen.writeUInt32LE(sig.length);
  const err = t.throws(() => readDelta(Buffer.concat([signed, sigLen, sig]), keys.publicKeyPem), { instanceOf: DeltaError });
  t.is(err.code, 'bad-format');
  t.regex(err.message, /patientName|Unrecognized/);
});

test('models of another architecture make no delta', (t) => {
  const other = Buffer.from(tinyModelBytes(2)); // same architecture, other weights: fine
  t.notThrows(() => makeDelta(base, other, info, privateKey));
  const bigger = makeDeltaError(() => makeDelta(base, tinyModelBytesOf(8), info, privateKey));
  t.is(bigger, 'incompatible');
});

function tinyModelBytesOf(baseFilters: number): Buffer {
  return writeOnnx(tinyUNet({ classes: 3, base: baseFilters, depth: 1, seed: 1, size: [16, 16], batchNorm: 'random' }));
}
function makeDeltaError(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DeltaError ? e.code : String(e);
  }
  return undefined;
}
