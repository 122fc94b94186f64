/**
 * The WebAssembly image codecs used for encapsulated pixel data (PS3.5 §8.2, Annex A.4), each
 * initialised at most once per process and only when a transfer syntax needs it:
 *
 * - libjpeg-turbo (8-bit JPEG Baseline / Extended, PS3.5 §8.2.1): `JPEGDecoder`
 * - CharLS (JPEG-LS, PS3.5 §8.2.3): `JpegLSDecoder`
 * - OpenJPEG (JPEG 2000, PS3.5 §8.2.4): `J2KDecoder`
 * - jpeg-lossless-decoder-js (JPEG Lossless Process 14, PS3.5 §8.2.1): pure JavaScript.
 *
 * The packages are CommonJS without type declarations, so they are loaded with `require` and
 * described by the small interfaces below (only what the decoders use; the encoders are listed
 * for tests). Emscripten's console output is captured so that a failed decode can say why.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** An embind-wrapped C++ decoder: fill the encoded buffer, decode, read the decoded bytes. */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}

/** An embind-wrapped C++ encoder (tests use these to produce codestreams from known pixels). */
export interface WasmEncoder {
  getDecodedBuffer(info: CodecFrameInfo): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
  setQuality?(...args: unknown[]): void;
  setNearLossless?(near: number): void;
  setDecompositions?(n: number): void;
}

export interface CodecModules {
  jpeg: { JPEGDecoder: new () => WasmDecoder; JPEGEncoder: new () => WasmEncoder };
  jpegls: { JpegLSDecoder: new () => WasmDecoder; JpegLSEncoder: new () => WasmEncoder };
  j2k: { J2KDecoder: new () => WasmDecoder; J2KEncoder: new () => WasmEncoder };
}

export type CodecName = keyof CodecModules;

const PACKAGES: Record<CodecName, string> = {
  jpeg: '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs',
  jpegls: '@cornerstonejs/codec-charls/wasmjs',
  j2k: '@cornerstonejs/codec-openjpeg/wasmjs',
};

/** The JPEG Lossless decoder class of jpeg-lossless-decoder-js (PS3.5 §8.2.1, Process 14). */
export interface LosslessJpegDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
}

const loaded: Partial<CodecModules> = {};
const loading = new Map<CodecName, Promise<void>>();
/** Recent lines the codecs printed (OpenJPEG reports errors this way), newest last. */
const messages: string[] = [];

function capture(line: string): void {
  messages.push(String(line));
  if (messages.length > 20) messages.shift();
}

/** Initialises codec `name` (once per process; concurrent callers share the same promise). */
export function loadCodec(name: CodecName): Promise<void> {
  if (loaded[name]) return Promise.resolve();
  let p = loading.get(name);
  if (!p) {
    const factory = require(PACKAGES[name]) as (opts: object) => Promise<unknown>;
    p = factory({ print: capture, printErr: capture }).then((m) => {
      (loaded as Record<string, unknown>)[name] = m;
    });
    p.catch(() => loading.delete(name)); // a failed initialisation may be retried
    loading.set(name, p);
  }
  return p;
}

/** The initialised module of codec `name`; throws when `loadCodec(name)` has not completed. */
export function codec<N extends CodecName>(name: N): CodecModules[N] {
  const m = loaded[name];
  if (!m) throw new Error(`codec "${name}" is not initialised: await loadCodec('${name}') (or codecsFor(transferSyntaxUid)) first`);
  return m as CodecModules[N];
}

/** Which WASM codec decodes a transfer syntax (undefined: native, RLE, JPEG Lossless, or unsupported). */
export function codecFor(transferSyntaxUid: string): CodecName | undefined {
  switch (transferSyntaxUid) {
    case '1.2.840.10008.1.2.4.50':
    case '1.2.840.10008.1.2.4.51':
      return 'jpeg';
    case '1.2.840.10008.1.2.4.80':
    case '1.2.840.10008.1.2.4.81':
      return 'jpegls';
    case '1.2.840.10008.1.2.4.90':
    case '1.2.840.10008.1.2.4.91':
      return 'j2k';
  }
  return undefined;
}

/** Makes `decodeFrame` ready for frames of `transferSyntaxUid`. */
export async function codecsFor(transferSyntaxUid: string): Promise<void> {
  const name = codecFor(transferSyntaxUid);
  if (name) await loadCodec(name);
}

interface LosslessInternals {
  getPreviousX(c?: number): number;
  getPreviousY(c?: number): number;
  select7(c?: number): number;
}

let lossless: (new () => LosslessJpegDecoder) | undefined;

/** A JPEG Lossless decoder (plain JavaScript, loaded synchronously on first use). */
export function losslessJpegDecoder(): LosslessJpegDecoder {
  lossless ??= (require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessJpegDecoder }).Decoder;
  const d = new lossless();
  // jpeg-lossless-decoder-js 2.1.2 predicts with (Ra + Rb) / 2 for selection value 7, a fraction,
  // which truncates the wrong way once a modulo-2^16 difference wraps below zero; ISO 10918-1
  // H.1.2.1 means the integer (Ra + Rb) >> 1 (as the library itself does for SV5 and SV6).
  const x = d as unknown as LosslessInternals;
  x.select7 = (c?: number) => (x.getPreviousX(c) + x.getPreviousY(c)) >> 1;
  return d;
}

/**
 * Turns what a codec threw into words: embind throws C++ exceptions as bare numbers, so the last
 * line the codec printed (e.g. OpenJPEG's "[ERROR] ...") is the best explanation there is.
 */
export function codecFailure(e: unknown): string {
  const printed = [...messages].reverse().find((m) => /error/i.test(m));
  messages.length = 0;
  if (e instanceof Error && e.message) return e.message + (printed ? ` (${printed.trim()})` : '');
  if (typeof e === 'string') return e;
  return printed ? printed.trim() : `codec exception ${String(e)}`;
}

/** Forgets what the codecs printed (call before a decode so codecFailure reports only its lines). */
export function clearCodecMessages(): void {
  messages.length = 0;
}
