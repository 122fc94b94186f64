// Shared helpers for the multipart tests (not a test file itself: ava runs *.test.ts only).
import { multipartStream, readMultipart, type ReadMultipartOptions } from '../../src/dicom/multipart.js';
import { mulberry32 } from '../../src/random.js';

export interface ReadPart {
  headers: Record<string, string>;
  body: Buffer;
}

export const prng = mulberry32;

/** Yield `data` in chunks whose sizes come from `size()` (each at least 1 byte). */
export async function* chunks(data: Buffer, size: () => number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; ) {
    const n = Math.max(1, Math.floor(size()));
    yield data.subarray(at, at + n);
    at += n;
  }
}

export const fixed = (n: number) => (): number => n;

export function randomSizes(seed: number, max: number): () => number {
  const random = prng(seed);
  return () => 1 + Math.floor(random() * max);
}

/** The chunkings every hand-written body is read with. */
export const CHUNKINGS: Array<[string, (data: Buffer) => () => number]> = [
  ['whole', (data) => fixed(Math.max(1, data.length))],
  ['1-byte', () => fixed(1)],
  ['2-byte', () => fixed(2)],
  ['3-byte', () => fixed(3)],
  ['7-byte', () => fixed(7)],
  ['random', () => randomSizes(42, 20)],
];

/** Read every part fully into memory (fine for small test bodies). */
export async function readAll(
  input: AsyncIterable<Buffer>,
  boundary: string,
  opts?: ReadMultipartOptions,
): Promise<ReadPart[]> {
  const parts: ReadPart[] = [];
  for await (const part of readMultipart(input, boundary, opts)) {
    const pieces: Buffer[] = [];
    for await (const piece of part.body) pieces.push(piece);
    parts.push({ headers: part.headers, body: Buffer.concat(pieces) });
  }
  return parts;
}

export async function encode(
  parts: Array<{ headers: Record<string, string>; body: Buffer | AsyncIterable<Buffer> }>,
  boundary: string,
): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of multipartStream(parts, boundary)) out.push(piece);
  return Buffer.concat(out);
}

export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
