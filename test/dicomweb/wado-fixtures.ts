// Test objects for the WADO-RS tests (not a test file itself: ava runs *.test.ts only).
import { deflateRawSync } from 'node:zlib';
import { encodeDataset, IMPLEMENTATION_CLASS_UID, writePart10, type DataElement } from '../../src/dicom/part10-writer.js';
import { newUid } from '../../src/dicom/synthetic-mr.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

export interface Ids {
  studyInstanceUID: string;
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
  patientId: string;
}

function common(ids: Ids, sopClassUID: string, modality: string, seriesNumber: number): { elements: DataElement[]; seriesInstanceUID: string; sopInstanceUID: string } {
  const seriesInstanceUID = ids.seriesInstanceUID ?? newUid();
  const sopInstanceUID = ids.sopInstanceUID ?? newUid();
  return {
    seriesInstanceUID,
    sopInstanceUID,
    elements: [
      { tag: 0x00080016, vr: 'UI', value: sopClassUID },
      { tag: 0x00080018, vr: 'UI', value: sopInstanceUID },
      { tag: 0x00080060, vr: 'CS', value: modality },
      { tag: 0x00100010, vr: 'PN', value: 'Test^Object' },
      { tag: 0x00100020, vr: 'LO', value: ids.patientId },
      { tag: 0x0020000d, vr: 'UI', value: ids.studyInstanceUID },
      { tag: 0x0020000e, vr: 'UI', value: seriesInstanceUID },
      { tag: 0x00200011, vr: 'IS', value: seriesNumber },
      { tag: 0x00200013, vr: 'IS', value: 1 },
    ],
  };
}

/** Reads bit `i` of 1-bit packed pixel data (PS3.5 §8.1.1: least significant bit first). */
export function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (i & 7)) & 1;
}

/** Packs bits into bytes, least significant bit first, padded to an even length. */
export function packBits(bits: number[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 16) * 2);
  bits.forEach((b, i) => {
    if (b) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

/**
 * A small BINARY SEG-like object (PS3.3 §A.51): Rows × Columns = 3 × 3, Bits Allocated 1,
 * `frames` frames bit-packed across frame boundaries, a Segment Sequence and per-frame
 * functional groups with plane positions.
 */
export function binarySeg(ids: Ids, frameBits: number[][], seriesNumber = 3): { bytes: Buffer; sopInstanceUID: string; seriesInstanceUID: string; pixels: Buffer } {
  const c = common(ids, SEGMENTATION_STORAGE, 'SEG', seriesNumber);
  const pixels = packBits(frameBits.flat());
  const bytes = writePart10(
    [
      ...c.elements,
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280008, vr: 'IS', value: frameBits.length },
      { tag: 0x00280010, vr: 'US', value: 3 },
      { tag: 0x00280011, vr: 'US', value: 3 },
      { tag: 0x00280100, vr: 'US', value: 1 },
      { tag: 0x00280101, vr: 'US', value: 1 },
      { tag: 0x00280102, vr: 'US', value: 0 },
      { tag: 0x00280103, vr: 'US', value: 0 },
      { tag: 0x00620001, vr: 'CS', value: 'BINARY' },
      {
        tag: 0x00620002, // SegmentSequence
        vr: 'SQ',
        value: [
          [
            { tag: 0x00620004, vr: 'US', value: 1 },
            { tag: 0x00620005, vr: 'LO', value: 'Liver' },
            { tag: 0x00620008, vr: 'CS', value: 'AUTOMATIC' },
          ],
        ],
      },
      {
        tag: 0x52009230, // PerFrameFunctionalGroupsSequence
        vr: 'SQ',
        value: frameBits.map((_, i) => [
          { tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: [0, 0, i * 2.5] }]] }, // PlanePositionSequence
        ]),
      },
      { tag: 0x7fe00010, vr: 'OB', value: pixels },
    ] as DataElement[],
    { sopClassUID: SEGMENTATION_STORAGE, sopInstanceUID: c.sopInstanceUID },
  );
  return { bytes, sopInstanceUID: c.sopInstanceUID, seriesInstanceUID: c.seriesInstanceUID, pixels };
}

/** A native multi-frame object: Rows 2, Columns 3, 16 bits, `frames` frames of distinct values. */
export function multiFrame(ids: Ids, frames: number, seriesNumber = 5): { bytes: Buffer; sopInstanceUID: string; seriesInstanceUID: string; pixels: Buffer; frameSize: number } {
  const c = common(ids, SECONDARY_CAPTURE, 'OT', seriesNumber);
  const values = new Uint16Array(frames * 6).map((_, i) => 1000 + i);
  const pixels = Buffer.from(values.buffer);
  const bytes = writePart10(
    [
      ...c.elements,
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280008, vr: 'IS', value: frames },
      { tag: 0x00280010, vr: 'US', value: 2 },
      { tag: 0x00280011, vr: 'US', value: 3 },
      { tag: 0x00280100, vr: 'US', value: 16 },
      { tag: 0x00280101, vr: 'US', value: 16 },
      { tag: 0x00280102, vr: 'US', value: 15 },
      { tag: 0x00280103, vr: 'US', value: 0 },
      { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(pixels) },
    ],
    { sopClassUID: SECONDARY_CAPTURE, sopInstanceUID: c.sopInstanceUID },
  );
  return { bytes, sopInstanceUID: c.sopInstanceUID, seriesInstanceUID: c.seriesInstanceUID, pixels, frameSize: 12 };
}

/** Encapsulated Pixel Data (PS3.5 §A.4): the element header, a Basic Offset Table, fragments. */
export function encapsulatedPixelData(fragments: Buffer[], basicOffsets: number[] = []): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write('OB', 4, 'latin1');
  head.writeUInt32LE(0xffffffff, 8);
  const item = (value: Buffer): Buffer => {
    const padded = value.length % 2 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(0xe000, 2);
    h.writeUInt32LE(padded.length, 4);
    return Buffer.concat([h, padded]);
  };
  const bot = Buffer.alloc(4 * basicOffsets.length);
  basicOffsets.forEach((o, i) => bot.writeUInt32LE(o, 4 * i));
  const end = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([head, item(bot), ...fragments.map(item), end]);
}

/**
 * A Part 10 file in a transfer syntax part10-writer does not write (e.g. JPEG Baseline): the data
 * set before Pixel Data in Explicit VR Little Endian, then `pixelData` as given.
 */
export function part10WithSyntax(elements: DataElement[], meta: { sopClassUID: string; sopInstanceUID: string; transferSyntaxUID: string }, pixelData: Buffer): Buffer {
  const metaBody = encodeDataset([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: meta.sopClassUID },
    { tag: 0x00020003, vr: 'UI', value: meta.sopInstanceUID },
    { tag: 0x00020010, vr: 'UI', value: meta.transferSyntaxUID },
    { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
  ]);
  const groupLength = encodeDataset([{ tag: 0x00020000, vr: 'UL', value: metaBody.length }]);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, metaBody, encodeDataset(elements), pixelData]);
}

/**
 * A JPEG-Baseline-labelled object with `frames.length` frames given as fragment lists, with a
 * Basic Offset Table or an Extended Offset Table (PS3.5 §A.4) when asked.
 */
export function encapsulated(ids: Ids, frames: Buffer[][], opts: { basicOffsetTable?: boolean; extendedOffsetTable?: boolean; seriesNumber?: number } = {}): { bytes: Buffer; sopInstanceUID: string; seriesInstanceUID: string } {
  const c = common(ids, SECONDARY_CAPTURE, 'OT', opts.seriesNumber ?? 4);
  const fragments = frames.flat();
  const offsets: number[] = [];
  let at = 0;
  for (const f of frames) {
    offsets.push(at);
    for (const frag of f) at += 8 + frag.length + (frag.length % 2);
  }
  const eot: DataElement[] = [];
  if (opts.extendedOffsetTable) {
    const table = Buffer.alloc(8 * frames.length);
    const lengths = Buffer.alloc(8 * frames.length);
    frames.forEach((f, i) => {
      table.writeBigUInt64LE(BigInt(offsets[i]!), 8 * i);
      lengths.writeBigUInt64LE(BigInt(f[0]!.length), 8 * i);
    });
    eot.push({ tag: 0x7fe00001, vr: 'OV', value: new Uint8Array(table) }, { tag: 0x7fe00002, vr: 'OV', value: new Uint8Array(lengths) });
  }
  const bytes = part10WithSyntax(
    [
      ...eot,
      ...c.elements,
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280008, vr: 'IS', value: frames.length },
      { tag: 0x00280010, vr: 'US', value: 8 },
      { tag: 0x00280011, vr: 'US', value: 8 },
      { tag: 0x00280100, vr: 'US', value: 8 },
      { tag: 0x00280101, vr: 'US', value: 8 },
      { tag: 0x00280102, vr: 'US', value: 7 },
      { tag: 0x00280103, vr: 'US', value: 0 },
    ],
    { sopClassUID: SECONDARY_CAPTURE, sopInstanceUID: c.sopInstanceUID, transferSyntaxUID: JPEG_BASELINE },
    encapsulatedPixelData(fragments, opts.basicOffsetTable ? offsets : []),
  );
  return { bytes, sopInstanceUID: c.sopInstanceUID, seriesInstanceUID: c.seriesInstanceUID };
}

/** A fake JPEG codestream: SOI, some bytes, EOI (never decoded in these tests). */
export function fakeJpeg(seed: number, length = 40): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  b[0] = 0xff;
  b[1] = 0xd8;
  b[length - 2] = 0xff;
  b[length - 1] = 0xd9;
  return b;
}

/** A Deflated Explicit VR Little Endian file (PS3.5 §A.5) of a native 2-frame 8-bit object. */
export function deflated(ids: Ids, seriesNumber = 7): { bytes: Buffer; sopInstanceUID: string; seriesInstanceUID: string; pixels: Buffer } {
  const c = common(ids, SECONDARY_CAPTURE, 'OT', seriesNumber);
  const pixels = Buffer.from(Array.from({ length: 2 * 4 * 4 }, (_, i) => i * 3));
  const dataset = encodeDataset([
    ...c.elements,
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280008, vr: 'IS', value: 2 },
    { tag: 0x00280010, vr: 'US', value: 4 },
    { tag: 0x00280011, vr: 'US', value: 4 },
    { tag: 0x00280100, vr: 'US', value: 8 },
    { tag: 0x00280101, vr: 'US', value: 8 },
    { tag: 0x00280102, vr: 'US', value: 7 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array(pixels) },
  ]);
  const withoutDataset = part10WithSyntax([], { sopClassUID: SECONDARY_CAPTURE, sopInstanceUID: c.sopInstanceUID, transferSyntaxUID: '1.2.840.10008.1.2.1.99' }, Buffer.alloc(0));
  return { bytes: Buffer.concat([withoutDataset, deflateRawSync(dataset)]), sopInstanceUID: c.sopInstanceUID, seriesInstanceUID: c.seriesInstanceUID, pixels };
}
