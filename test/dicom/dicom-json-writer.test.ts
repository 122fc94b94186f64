import test from 'ava';
import { datasetToJson, type JsonWriterOptions } from '../../src/dicom/dicom-json-writer.js';
import { EXPLICIT_LE, IMPLICIT_LE, openPart10 } from '../../src/dicom/element-reader.js';
import { encodeDataset, type DataElement } from '../../src/dicom/part10-writer.js';
import { syntheticSeries } from '../../src/dicom/synthetic-mr.js';

// dcmjs ships no type declarations; a non-literal specifier keeps tsc from needing them.
const dcmjsName: string = 'dcmjs';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dcmjs: any = (await import(dcmjsName)).default;
dcmjs.log?.setLevel?.('error');

const opts: JsonWriterOptions = { bulkDataUri: (p) => `bulk/${p}` };

function json(elements: DataElement[], syntax: 'explicit-le' | 'implicit-le' = 'explicit-le', o: Partial<JsonWriterOptions> = {}) {
  const buf = encodeDataset(elements, syntax);
  return datasetToJson(buf, 0, buf.length, syntax === 'explicit-le' ? EXPLICIT_LE : IMPLICIT_LE, { ...opts, ...o }).json as Record<string, any>;
}

/** One Explicit VR Little Endian element with a raw value (short-length VRs only). */
function rawElement(tag: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

function tagBytes(tag: number, length: number, vr?: string): Buffer {
  const h = Buffer.alloc(vr ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  if (vr) {
    h.write(vr, 4, 'latin1');
    h.writeUInt32LE(length, 8);
  } else h.writeUInt32LE(length, 4);
  return h;
}

const UNDEFINED = 0xffffffff;
const itemStart = () => tagBytes(0xfffee000, UNDEFINED);
const itemEnd = () => tagBytes(0xfffee00d, 0);
const seqEnd = () => tagBytes(0xfffee0dd, 0);

for (const ts of ['explicit-le', 'implicit-le'] as const) {
  test(`${ts}: agrees with dcmjs on every attribute of a synthetic MR instance`, (t) => {
    const file = syntheticSeries({ count: 2, rows: 4, columns: 4, transferSyntax: ts, patientName: 'Doe^Jane' }).instance(1).bytes;
    const p = openPart10(file);
    const ours = datasetToJson(p.data, p.start, p.data.length, p.syntax, opts);
    const theirs = dcmjs.data.DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)).dict;
    t.deepEqual(Object.keys(ours.json), Object.keys(theirs));
    for (const [tag, attr] of Object.entries<any>(theirs)) {
      if (tag === '7FE00010') continue;
      const empty = attr.Value.length === 0 || (attr.Value.length === 1 && attr.Value[0] === '');
      t.deepEqual(ours.json[tag], empty ? { vr: attr.vr } : { vr: attr.vr, Value: attr.Value }, tag);
    }
    t.deepEqual(ours.json['7FE00010'], { vr: 'OW', BulkDataURI: 'bulk/7FE00010' });
    t.false(ours.stoppedAtPixelData);
  });
}

test('a header cut at the Pixel Data value stops there and says where Pixel Data is', (t) => {
  const file = syntheticSeries({ count: 1, rows: 4, columns: 4 }).instance(0).bytes;
  const cut = file.subarray(0, file.length - 32);
  const p = openPart10(cut);
  const r = datasetToJson(p.data, p.start, p.data.length, p.syntax, opts);
  t.true(r.stoppedAtPixelData);
  t.is(r.pixelData?.valueOffset, cut.length);
  t.is(r.pixelData?.length, 32);
  t.is(r.json['7FE00010']!.BulkDataURI, 'bulk/7FE00010');
});

test('numbers, AT, multi-valued strings with empty values, single-valued text', (t) => {
  const j = json([
    { tag: 0x00081160, vr: 'IS', value: '1\\\\3' }, // ReferencedFrameNumber with an empty value
    { tag: 0x00181310, vr: 'US', value: [0, 256, 256, 0] },
    { tag: 0x00209165, vr: 'AT', value: [0x00209111, 0x0020930e] },
    { tag: 0x00189219, vr: 'FD', value: [1.5, -2.25] },
    { tag: 0x00189090, vr: 'FD', value: [] },
    { tag: 0x00186020, vr: 'SL', value: [-7] },
    { tag: 0x00186030, vr: 'UL', value: [4000000000] },
    { tag: 0x00280106, vr: 'SS', value: [-12] },
    { tag: 0x00189087, vr: 'FL', value: [0.5] },
    { tag: 0x00204000, vr: 'LT', value: '  indented\\not split  ' },
    { tag: 0x00080008, vr: 'CS', value: 'A\\\\C' },
    { tag: 0x00180050, vr: 'DS', value: ' 1.5e1 ' },
    { tag: 0x00181030, vr: 'LO', value: '' },
  ]);
  t.deepEqual(j['00081160'], { vr: 'IS', Value: [1, null, 3] });
  t.deepEqual(j['00181310'], { vr: 'US', Value: [0, 256, 256, 0] });
  t.deepEqual(j['00209165'], { vr: 'AT', Value: ['00209111', '0020930E'] });
  t.deepEqual(j['00189219'], { vr: 'FD', Value: [1.5, -2.25] });
  t.deepEqual(j['00189090'], { vr: 'FD' });
  t.deepEqual(j['00186020'], { vr: 'SL', Value: [-7] });
  t.deepEqual(j['00186030'], { vr: 'UL', Value: [4000000000] });
  t.deepEqual(j['00280106'], { vr: 'SS', Value: [-12] });
  t.deepEqual(j['00189087'], { vr: 'FL', Value: [0.5] });
  t.deepEqual(j['00204000'], { vr: 'LT', Value: ['  indented\\not split'] });
  t.deepEqual(j['00080008'], { vr: 'CS', Value: ['A', null, 'C'] });
  t.deepEqual(j['00180050'], { vr: 'DS', Value: [15] });
  t.deepEqual(j['00181030'], { vr: 'LO' });
});

test('binary values: InlineBinary up to 1 KiB, BulkDataURI beyond, with nested tag paths', (t) => {
  const small = new Uint8Array([1, 2, 3, 4]);
  const large = new Uint8Array(2000).fill(7);
  const j = json([
    { tag: 0x00420011, vr: 'OB', value: small },
    {
      tag: 0x00540016,
      vr: 'SQ',
      value: [[{ tag: 0x00181072, vr: 'TM', value: '1200' }], [{ tag: 0x00420011, vr: 'OB', value: large }]],
    },
    { tag: 0x00880200, vr: 'SQ', value: [[{ tag: 0x00280010, vr: 'US', value: 2 }, { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array(4) }]] },
    { tag: 0x00660023, vr: 'OW', value: new Uint8Array(1026) },
  ]);
  t.deepEqual(j['00420011'], { vr: 'OB', InlineBinary: Buffer.from(small).toString('base64') });
  t.deepEqual(j['00540016'].Value[0]['00181072'], { vr: 'TM', Value: ['1200'] });
  t.deepEqual(j['00540016'].Value[1]['00420011'], { vr: 'OB', BulkDataURI: 'bulk/00540016.1.00420011' });
  t.deepEqual(j['00880200'].Value[0]['7FE00010'], { vr: 'OB', BulkDataURI: 'bulk/00880200.0.7FE00010' }, 'Pixel Data is bulk data at any size');
  t.deepEqual(j['00660023'], { vr: 'OW', BulkDataURI: 'bulk/00660023' });
  const inline = json([{ tag: 0x00660023, vr: 'OW', value: new Uint8Array(1026) }], 'explicit-le', { inlineBinaryMax: 4096 });
  t.is(Buffer.from(inline['00660023'].InlineBinary, 'base64').length, 1026);
});

test('PN groups and Specific Character Set: ISO_IR 192 (UTF-8) and ISO_IR 100 (Latin-1)', (t) => {
  const utf8 = json([
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00100010, vr: 'PN', value: 'Yamada^Tarou=山田^太郎=やまだ^たろう\\Doe^J' },
    { tag: 0x00081030, vr: 'LO', value: 'Ärztliche Überweisung' },
  ]);
  t.deepEqual(utf8['00100010'].Value, [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }, { Alphabetic: 'Doe^J' }]);
  t.deepEqual(utf8['00081030'].Value, ['Ärztliche Überweisung']);
  const latin1 = Buffer.concat([
    encodeDataset([{ tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' }]),
    rawElement(0x00100010, 'PN', Buffer.from('Müller^Jürgen', 'latin1')),
  ]);
  const l = datasetToJson(latin1, 0, latin1.length, EXPLICIT_LE, opts);
  t.deepEqual(l.json['00100010']!.Value, [{ Alphabetic: 'Müller^Jürgen' }]);
  t.is(l.specificCharacterSet, 'ISO_IR 100');
  const ideographicOnly = json([{ tag: 0x00100010, vr: 'PN', value: '=Kim' }]);
  t.deepEqual(ideographicOnly['00100010'].Value, [{ Ideographic: 'Kim' }]);
});

test('undefined-length sequences and items; UN with undefined length read as an Implicit VR sequence', (t) => {
  // (0040,0275) SQ, undefined length, one undefined-length item holding (0040,0007) LO.
  const inner = rawElement(0x00400007, 'LO', Buffer.from('Scan'));
  // (0009,1010) private UN, undefined length: content in Implicit VR LE (PS3.5 §6.2.2).
  const implicitInner = Buffer.concat([tagBytes(0x00091011, 4), Buffer.from('ab12')]);
  const buf = Buffer.concat([
    tagBytes(0x00091010, UNDEFINED, 'UN'),
    itemStart(),
    implicitInner,
    itemEnd(),
    seqEnd(),
    tagBytes(0x00400275, UNDEFINED, 'SQ'),
    itemStart(),
    inner,
    itemEnd(),
    seqEnd(),
    tagBytes(0x00400280, 0, 'SQ'), // empty sequence
    rawElement(0x00400281, 'CS', Buffer.from('OK')),
  ]);
  const j = datasetToJson(buf, 0, buf.length, EXPLICIT_LE, opts).json as Record<string, any>;
  t.deepEqual(j['00400275'], { vr: 'SQ', Value: [{ '00400007': { vr: 'LO', Value: ['Scan'] } }] });
  t.deepEqual(j['00091010'], { vr: 'SQ', Value: [{ '00091011': { vr: 'UN', InlineBinary: Buffer.from('ab12').toString('base64') } }] });
  t.deepEqual(j['00400280'], { vr: 'SQ' });
  t.deepEqual(j['00400281'], { vr: 'CS', Value: ['OK'] });
});

test('a UN element whose tag the dictionary knows is decoded with the dictionary VR', (t) => {
  const h = tagBytes(0x00280010, 2, 'UN');
  const value = Buffer.alloc(2);
  value.writeUInt16LE(512);
  const buf = Buffer.concat([h, value]);
  const j = datasetToJson(buf, 0, buf.length, EXPLICIT_LE, opts).json;
  t.deepEqual(j['00280010'], { vr: 'US', Value: [512] });
});

test('group lengths are left out; a truncated data set throws', (t) => {
  const j = json([{ tag: 0x00080000, vr: 'UL', value: 10 }, { tag: 0x00080060, vr: 'CS', value: 'MR' }]);
  t.deepEqual(Object.keys(j), ['00080060']);
  const buf = encodeDataset([{ tag: 0x00100010, vr: 'PN', value: 'Doe^Jane' }]);
  t.throws(() => datasetToJson(buf, 0, buf.length - 3, EXPLICIT_LE, opts));
});
