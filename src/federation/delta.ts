import { createHash, type KeyObject } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { readOnnx } from '../inference/onnx/onnx-io.js';
import { decodeTensor, encodeTensor, type TensorEncoding } from './delta-encoding.js';
import { addToOnnx, diffInitializers, IncompatibleModelsError } from './delta-tensors.js';
import { sign, verify } from './signing.js';

/**
 * A federation delta: the difference of a fine-tuned model's FLOAT initializers against the declared base
 * generation, compressed, hashed and ed25519-signed by the site (docs/federation.md "Deltas").
 *
 * The manifest carries NO dates, UIDs, names or pixel data (test/federation/privacy.test.ts proves it):
 * only counts, gate scores, the base hash and tensor layout.
 */
export interface DeltaManifest {
  format: 'dafne-delta/1';
  modelId: string;
  /** SHA-256 (hex) of the base generation's ONNX bytes the delta is relative to. */
  baseSha256: string;
  siteId: string;
  trainingSlices: number;
  trainingSeries: number;
  localGate: { heldOut: number | null; benchmark: number | null; corrections: number | null };
  software: string;
  encoding: 'float32-zlib' | 'float16-zlib' | 'sparse-float16-zlib';
  /** SHA-256 (hex) of the payload bytes as stored in the file (compressed). */
  payloadSha256: string;
  /** offset/length: bytes within the DEcompressed payload. */
  tensors: { name: string; dims: number[]; offset: number; length: number }[];
}

export type DeltaInfo = Pick<DeltaManifest, 'modelId' | 'siteId' | 'trainingSlices' | 'trainingSeries' | 'localGate' | 'software'> & {
  encoding?: DeltaManifest['encoding'];
  /** sparse-float16-zlib only: fraction of each tensor's entries kept (largest magnitudes), default 0.1. */
  keepFraction?: number;
};

/** Why a delta file was refused; the central server maps codes to HTTP statuses (docs/federation.md). */
export type DeltaErrorCode =
  | 'bad-format' // not a delta container, unreadable manifest or payload → 400
  | 'bad-hash' // payload bytes do not match payloadSha256 → 422
  | 'bad-signature' // signature does not verify with the site's key → 422
  | 'incompatible'; // tensors do not fit the base model (names/dims) → 422

export class DeltaError extends Error {
  constructor(
    readonly code: DeltaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeltaError';
  }
}

export const DELTA_MEDIA_TYPE = 'application/vnd.dafne.delta';

/**
 * The container (all integers little-endian):
 *   "DAFNEDL1" | u32 manifest length | manifest JSON (UTF-8) | u32 payload length | payload (zlib)
 *   | u32 signature length | ed25519 signature over every byte before it.
 * The manifest is inside the signed bytes and names the payload's hash, so neither can be swapped.
 */
const MAGIC = Buffer.from('DAFNEDL1', 'latin1');
const MAX_MANIFEST_BYTES = 1 << 20;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const ENCODING_OF: Record<DeltaManifest['encoding'], TensorEncoding> = {
  'float32-zlib': 'float32',
  'float16-zlib': 'float16',
  'sparse-float16-zlib': 'sparse-float16',
};

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const score = z.number().finite().nullable();
/** Strict: a manifest with any field not listed here (a patient name, a date) is refused. */
const manifestSchema = z
  .object({
    format: z.literal('dafne-delta/1'),
    modelId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    baseSha256: hex64,
    siteId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    trainingSlices: z.number().int().min(0),
    trainingSeries: z.number().int().min(0),
    localGate: z.object({ heldOut: score, benchmark: score, corrections: score }).strict(),
    software: z.string().max(200),
    encoding: z.enum(['float32-zlib', 'float16-zlib', 'sparse-float16-zlib']),
    payloadSha256: hex64,
    tensors: z
      .array(
        z
          .object({
            name: z.string().min(1).max(512),
            dims: z.array(z.number().int().min(0)),
            offset: z.number().int().min(0),
            length: z.number().int().min(0),
          })
          .strict(),
      )
      .max(100_000),
  })
  .strict();

/** Builds the signed delta file (self-describing container; the signature covers manifest + payload). */
export function makeDelta(baseOnnx: Buffer, updatedOnnx: Buffer, info: DeltaInfo, privateKey: KeyObject): Buffer {
  let diffs;
  try {
    diffs = diffInitializers(readOnnx(baseOnnx), readOnnx(updatedOnnx));
  } catch (e) {
    if (e instanceof IncompatibleModelsError) throw new DeltaError('incompatible', e.message);
    throw e;
  }
  const encoding = info.encoding ?? 'float16-zlib';
  const parts: Buffer[] = [];
  const tensors: DeltaManifest['tensors'] = [];
  let offset = 0;
  for (const t of diffs) {
    const bytes = encodeTensor(t.data, ENCODING_OF[encoding], info.keepFraction);
    tensors.push({ name: t.name, dims: t.dims, offset, length: bytes.length });
    parts.push(bytes);
    offset += bytes.length;
  }
  const payload = deflateSync(Buffer.concat(parts), { level: 9 });
  // Only the fields named here reach the file: extra properties of `info` are dropped on purpose.
  const manifest: DeltaManifest = {
    format: 'dafne-delta/1',
    modelId: info.modelId,
    baseSha256: sha256(baseOnnx),
    siteId: info.siteId,
    trainingSlices: info.trainingSlices,
    trainingSeries: info.trainingSeries,
    localGate: { heldOut: info.localGate.heldOut, benchmark: info.localGate.benchmark, corrections: info.localGate.corrections },
    software: info.software,
    encoding,
    payloadSha256: sha256(payload),
    tensors,
  };
  const checked = manifestSchema.safeParse(manifest);
  if (!checked.success) throw new DeltaError('bad-format', `delta manifest: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  const signed = Buffer.concat([MAGIC, u32(json.length), json, u32(payload.length), payload]);
  const signature = sign(signed, privateKey);
  return Buffer.concat([signed, u32(signature.length), signature]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

interface Parsed {
  manifest: DeltaManifest;
  payload: Buffer;
  signed: Buffer;
  signature: Buffer;
}

function parse(file: Buffer): Parsed {
  const bad = (why: string): never => {
    throw new DeltaError('bad-format', `not a Dafne delta file: ${why}`);
  };
  if (file.length < MAGIC.length + 12 || !file.subarray(0, MAGIC.length).equals(MAGIC)) bad('no DAFNEDL1 header');
  let at = MAGIC.length;
  const take = (what: string, max: number): Buffer => {
    if (at + 4 > file.length) bad(`truncated before the ${what} length`);
    const n = file.readUInt32LE(at);
    if (n > max || at + 4 + n > file.length) bad(`${what} length ${n} does not fit the file`);
    const out = file.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return out;
  };
  const json = take('manifest', MAX_MANIFEST_BYTES);
  const payload = take('payload', file.length);
  const signedEnd = at;
  const signature = take('signature', 1024);
  if (at !== file.length) bad(`${file.length - at} bytes after the signature`);
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch (e) {
    bad(`manifest is not JSON (${(e as Error).message})`);
  }
  const checked = manifestSchema.safeParse(raw);
  if (!checked.success) bad(`manifest: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return { manifest: checked.data! as DeltaManifest, payload, signed: file.subarray(0, signedEnd), signature };
}

/** Verifies format, payload hash and signature, then decodes every tensor to float32. Throws DeltaError. */
export function readDelta(file: Buffer, publicKey: string | KeyObject): { manifest: DeltaManifest; tensors: Map<string, Float32Array> } {
  const { manifest, payload, signed, signature } = parse(file);
  if (sha256(payload) !== manifest.payloadSha256) throw new DeltaError('bad-hash', 'the payload does not match the SHA-256 in its manifest (damaged or altered)');
  if (!verify(signed, signature, publicKey)) throw new DeltaError('bad-signature', `the signature does not verify with the public key registered for site "${manifest.siteId}"`);
  // The manifest bounds the decompressed size, so a small file cannot inflate into gigabytes.
  const expected = manifest.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0);
  let plain: Buffer;
  try {
    plain = inflateSync(payload, { maxOutputLength: Math.max(expected, 1) });
  } catch (e) {
    throw new DeltaError('bad-format', `the payload does not decompress to the ${expected} bytes its manifest describes (${(e as Error).message})`);
  }
  if (plain.length !== expected) throw new DeltaError('bad-format', `the payload holds ${plain.length} bytes, its manifest describes ${expected}`);
  const tensors = new Map<string, Float32Array>();
  for (const t of manifest.tensors) {
    if (tensors.has(t.name)) throw new DeltaError('bad-format', `tensor "${t.name}" appears twice`);
    const count = t.dims.reduce((a, b) => a * b, 1);
    try {
      const data = decodeTensor(plain.subarray(t.offset, t.offset + t.length), count, ENCODING_OF[manifest.encoding]);
      if (!data.every(Number.isFinite)) throw new RangeError('non-finite values');
      tensors.set(t.name, data);
    } catch (e) {
      throw new DeltaError('bad-format', `tensor "${t.name}": ${(e as Error).message}`);
    }
  }
  return { manifest, tensors };
}

/** The manifest WITHOUT verification (to find the site and base before choosing the key). Throws DeltaError. */
export function peekManifest(file: Buffer): DeltaManifest {
  return parse(file).manifest;
}

/** base + scale·delta for every tensor of the delta; returns new ONNX bytes (other fields unchanged). */
export function applyDelta(baseOnnx: Buffer, tensors: Map<string, Float32Array>, scale = 1): Buffer {
  try {
    return addToOnnx(baseOnnx, tensors, scale);
  } catch (e) {
    if (e instanceof IncompatibleModelsError) throw new DeltaError('incompatible', e.message);
    throw e;
  }
}
