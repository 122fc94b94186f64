import test from 'ava';
import { inflateRawSync } from 'node:zlib';
import { encodeDataset, TRANSFER_SYNTAX_UID, writePart10, type DataElement } from '../../src/dicom/part10-writer.js';

// The Part 10 writer's additions for the phantom series: big endian, deflate, encapsulated Pixel Data,
// and item lengths that are right for Implicit VR too.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;
dcmjs.log.setLevel('silent');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parse(bytes: Buffer): any {
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
}

const meta = { sopClassUID: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUID: '2.25.1' };
// A sequence whose item holds a nested sequence and an OB: explicit and implicit headers differ in size.
const nested: DataElement[] = [
  { tag: 0x00080016, vr: 'UI', value: meta.sopClassUID },
  { tag: 0x00080018, vr: 'UI', value: meta.sopInstanceUID },
  { tag: 0x52009229, vr: 'SQ', value: [[
    { tag: 0x00289110, vr: 'SQ', value: [[{ tag: 0x00280030, vr: 'DS', value: [0.5, 0.75] }]] },
    { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: [1, 0, 0, 0, 1, 0] }]] },
  ]] },
  { tag: 0x00100010, vr: 'PN', value: 'After^Sequence' },
];

for (const ts of ['explicit-le', 'implicit-le', 'explicit-be', 'deflated-le'] as const) {
  test(`${ts}: nested sequences and the elements after them read back`, (t) => {
    const ds = parse(writePart10(nested, { ...meta, transferSyntax: ts }));
    t.deepEqual(ds.SharedFunctionalGroupsSequence.PixelMeasuresSequence.PixelSpacing, [0.5, 0.75]);
    t.deepEqual(ds.SharedFunctionalGroupsSequence.PlaneOrientationSequence.ImageOrientationPatient, [1, 0, 0, 0, 1, 0]);
    t.deepEqual(ds.PatientName, [{ Alphabetic: 'After^Sequence' }]);
  });
}

test('explicit VR big endian writes numbers, tags and OW words big endian', (t) => {
  const buf = encodeDataset([{ tag: 0x00280010, vr: 'US', value: 0x0102 }, { tag: 0x7fe00010, vr: 'OW', value: new Uint8Array([1, 2, 3, 4]) }], 'explicit-be');
  t.deepEqual([...buf.subarray(0, 10)], [0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x01, 0x02]);
  t.deepEqual([...buf.subarray(buf.length - 4)], [2, 1, 4, 3]);
});

test('deflated files carry one raw deflate stream after the meta group (PS3.5 §A.5)', (t) => {
  const file = writePart10(nested, { ...meta, transferSyntax: 'deflated-le' });
  const metaLength = file.readUInt32LE(132 + 8);
  const body = file.subarray(132 + 12 + metaLength);
  t.is(file.length % 2, 0);
  t.true(inflateRawSync(body).equals(encodeDataset(nested, 'explicit-le')));
  t.true(file.includes(Buffer.from(TRANSFER_SYNTAX_UID['deflated-le'])));
});

test('encapsulated Pixel Data: undefined length, Basic Offset Table, one even item per frame, delimiter', (t) => {
  const frames = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6, 7])];
  const buf = encodeDataset([{ tag: 0x7fe00010, vr: 'OB', value: { frames } }], 'rle');
  t.is(buf.readUInt32LE(8), 0xffffffff);
  let p = 12;
  const item = () => { const h = { tag: buf.readUInt32LE(p), length: buf.readUInt32LE(p + 4) }; p += 8; return h; };
  const bot = item();
  t.deepEqual(bot, { tag: 0xe000fffe, length: 8 });
  t.deepEqual([buf.readUInt32LE(p), buf.readUInt32LE(p + 4)], [0, 12]); // item 1 = 8 + 4 bytes (3 + pad)
  p += 8;
  t.deepEqual(item(), { tag: 0xe000fffe, length: 4 });
  t.deepEqual([...buf.subarray(p, p + 4)], [1, 2, 3, 0]);
  p += 4;
  t.deepEqual(item(), { tag: 0xe000fffe, length: 4 });
  p += 4;
  t.deepEqual(item(), { tag: 0xe0ddfffe, length: 0 });
  t.is(p, buf.length);
});

test('encapsulated frames only under an encapsulated syntax, and vice versa', (t) => {
  const px = { frames: [new Uint8Array(2)] };
  t.throws(() => encodeDataset([{ tag: 0x7fe00010, vr: 'OB', value: px }], 'explicit-le'));
  t.throws(() => encodeDataset([{ tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(2) }], 'jpeg-ls-lossless'));
  t.throws(() => encodeDataset([{ tag: 0x00091010, vr: 'OB', value: px }], 'rle'));
});
