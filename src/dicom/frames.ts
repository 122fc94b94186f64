/**
 * Frame arithmetic for WADO-RS frame retrieval (PS3.18 §10.4, Frames resources), no I/O:
 *
 * - Native pixel data (PS3.5 §8.1.1): frames follow each other without padding, so frame k is a
 *   fixed range of the value. With Bits Allocated 1 (BINARY SEG) frames are packed bit by bit
 *   across frame boundaries, least significant bit first; a frame is re-packed to start at bit 0
 *   of its first byte, its last byte zero-filled.
 * - Encapsulated pixel data (PS3.5 §A.4): a Basic Offset Table item, then fragments. Which
 *   fragments make a frame comes from the Extended Offset Table, else the Basic Offset Table,
 *   else one fragment per frame, else the codestream start markers (JPEG SOI, JPEG 2000 SOC).
 */

export interface FrameLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

export interface NativeFrameRange {
  /** First byte of the frame, relative to the start of the Pixel Data value. */
  byteStart: number;
  /** Bytes to read (covering the frame's bits). */
  byteLength: number;
  /** Bit offset of the frame's first pixel in its first byte (Bits Allocated 1 only). */
  bitShift: number;
  /** Length of the frame in bits. */
  bits: number;
}

/** The range of 1-based frame `frame` in native pixel data. */
export function nativeFrameRange(l: FrameLayout, frame: number): NativeFrameRange {
  const bits = l.rows * l.columns * l.samplesPerPixel * l.bitsAllocated;
  const startBit = (frame - 1) * bits;
  const byteStart = Math.floor(startBit / 8);
  const bitShift = startBit % 8;
  return { byteStart, byteLength: Math.ceil((bitShift + bits) / 8), bitShift, bits };
}

/** The bytes of one frame from the bytes `raw` read for `range` (re-packed when not byte aligned). */
export function frameBytes(raw: Buffer, range: NativeFrameRange): Buffer {
  const size = Math.ceil(range.bits / 8);
  if (range.bitShift === 0 && range.bits % 8 === 0) return raw.subarray(0, size);
  const out = Buffer.alloc(size);
  const s = range.bitShift;
  for (let i = 0; i < size; i++) {
    const lo = raw[i]! >>> s;
    const hi = s === 0 ? 0 : ((raw[i + 1] ?? 0) << (8 - s)) & 0xff;
    out[i] = lo | hi;
  }
  const tail = range.bits % 8;
  if (tail) out[size - 1]! &= (1 << tail) - 1;
  return out;
}

export interface Fragment {
  /** Offset of the fragment's value. */
  offset: number;
  length: number;
  /** Offset of the fragment's item tag from the first item after the Basic Offset Table. */
  itemOffset: number;
  /** First two bytes of the value, big-endian (-1 when shorter), to spot codestream starts. */
  head: number;
}

export class FrameLayoutError extends Error {
  override name = 'FrameLayoutError';
}

/** Codestream start markers: JPEG SOI and JPEG 2000 SOC (PS3.5 §A.4). */
const JPEG_FAMILY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);
const J2K_FAMILY = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.92', '1.2.840.10008.1.2.4.93', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']);

/** Groups fragments into frames (see the file comment for the order of evidence). */
export function groupFragments(fragments: Fragment[], basicOffsets: number[], numberOfFrames: number, transferSyntaxUid: string): Fragment[][] {
  if (numberOfFrames === 1) return [fragments];
  if (basicOffsets.length === numberOfFrames) {
    const frames: Fragment[][] = basicOffsets.map(() => []);
    let f = 0;
    for (const frag of fragments) {
      while (f + 1 < basicOffsets.length && frag.itemOffset >= basicOffsets[f + 1]!) f++;
      if (frag.itemOffset < basicOffsets[0]!) continue;
      frames[f]!.push(frag);
    }
    if (frames.every((fr) => fr.length > 0)) return frames;
    throw new FrameLayoutError('the Basic Offset Table does not match the fragments');
  }
  if (fragments.length === numberOfFrames) return fragments.map((f) => [f]);
  const marker = JPEG_FAMILY.has(transferSyntaxUid) ? 0xffd8 : J2K_FAMILY.has(transferSyntaxUid) ? 0xff4f : -1;
  if (marker >= 0 && fragments[0]?.head === marker) {
    const frames: Fragment[][] = [];
    for (const frag of fragments) {
      if (frag.head === marker || frames.length === 0) frames.push([frag]);
      else frames[frames.length - 1]!.push(frag);
    }
    if (frames.length === numberOfFrames) return frames;
  }
  throw new FrameLayoutError(`cannot tell which of ${fragments.length} fragments form each of ${numberOfFrames} frames (no offset table)`);
}

/**
 * The media type of a compressed frame (the transfer syntax / media type tables of PS3.18 §8.7.3), or undefined
 * for transfer syntaxes whose pixel data is not a sequence of frames (MPEG video).
 */
export function frameMediaType(transferSyntaxUid: string): string | undefined {
  if (JPEG_FAMILY.has(transferSyntaxUid)) return transferSyntaxUid.endsWith('.80') || transferSyntaxUid.endsWith('.81') ? 'image/jls' : 'image/jpeg';
  switch (transferSyntaxUid) {
    case '1.2.840.10008.1.2.4.90':
    case '1.2.840.10008.1.2.4.91':
      return 'image/jp2';
    case '1.2.840.10008.1.2.4.92':
    case '1.2.840.10008.1.2.4.93':
      return 'image/jpx';
    case '1.2.840.10008.1.2.4.201':
    case '1.2.840.10008.1.2.4.202':
    case '1.2.840.10008.1.2.4.203':
      return 'image/jphc';
    case '1.2.840.10008.1.2.4.110':
    case '1.2.840.10008.1.2.4.111':
    case '1.2.840.10008.1.2.4.112':
      return 'image/jxl';
    case '1.2.840.10008.1.2.5':
      return 'image/dicom-rle';
  }
  // MPEG-2, MPEG-4, HEVC (1.2.840.10008.1.2.4.100-108): a video stream, not frames.
  if (/^1\.2\.840\.10008\.1\.2\.4\.10\d$/.test(transferSyntaxUid)) return undefined;
  return 'application/octet-stream';
}
