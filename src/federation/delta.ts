import type { KeyObject } from 'node:crypto';

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

/** Builds the signed delta file (self-describing container; the signature covers manifest + payload). */
export function makeDelta(baseOnnx: Buffer, updatedOnnx: Buffer, info: DeltaInfo, privateKey: KeyObject): Buffer {
  void baseOnnx, updatedOnnx, info, privateKey;
  throw new Error('not implemented yet');
}

/** Verifies format, payload hash and signature, then decodes every tensor to float32. Throws DeltaError. */
export function readDelta(file: Buffer, publicKey: string | KeyObject): { manifest: DeltaManifest; tensors: Map<string, Float32Array> } {
  void file, publicKey;
  throw new Error('not implemented yet');
}

/** The manifest WITHOUT verification (to find the site and base before choosing the key). Throws DeltaError. */
export function peekManifest(file: Buffer): DeltaManifest {
  void file;
  throw new Error('not implemented yet');
}

/** base + scale·delta for every tensor of the delta; returns new ONNX bytes (other fields unchanged). */
export function applyDelta(baseOnnx: Buffer, tensors: Map<string, Float32Array>, scale = 1): Buffer {
  void baseOnnx, tensors, scale;
  throw new Error('not implemented yet');
}
