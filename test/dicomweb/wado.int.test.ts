import test from 'ava';
import { parseMediaType } from '../../src/dicom/media-type.js';
import { readMultipart } from '../../src/dicom/multipart.js';
import { newUid, syntheticSeries, type SyntheticInstance } from '../../src/dicom/synthetic-mr.js';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { binarySeg, bitAt, deflated, encapsulated, fakeJpeg, JPEG_BASELINE, multiFrame } from './wado-fixtures.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

interface Answer {
  status: number;
  contentType: string;
  parts: { headers: Record<string, string>; body: Buffer }[];
  body: Buffer;
}

/** GET and, for multipart answers, split the body into parts with the node's own reader. */
async function get(url: string, accept?: string): Promise<Answer> {
  const res = await fetch(url, { headers: accept === undefined ? {} : { Accept: accept } });
  const contentType = res.headers.get('content-type') ?? '';
  const body = Buffer.from(await res.arrayBuffer());
  const parts: Answer['parts'] = [];
  if (res.status === 200 && contentType.startsWith('multipart/related')) {
    const boundary = parseMediaType(contentType).params.boundary!;
    for await (const part of readMultipart(once(body), boundary)) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c);
      parts.push({ headers: part.headers, body: Buffer.concat(chunks) });
    }
  }
  return { status: res.status, contentType, parts, body };
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

async function getJson(url: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { headers: { Accept: 'application/dicom+json' } });
  return { status: res.status, json: await res.json() };
}

/** The Pixel Data value of a synthetic MR instance: it is the file's last element. */
function pixelsOf(inst: SyntheticInstance, rows: number, cols: number): Buffer {
  return inst.bytes.subarray(inst.bytes.length - rows * cols * 2);
}

const studyUid = newUid();
const patientId = 'WADO-P1';
const explicit = syntheticSeries({ count: 4, rows: 16, columns: 12, studyInstanceUID: studyUid, patientId, patientName: 'Doe^Jane', seriesNumber: 1 });
const implicit = syntheticSeries({ count: 3, rows: 8, columns: 8, studyInstanceUID: studyUid, patientId, patientName: 'Doe^Jane', seriesNumber: 2, transferSyntax: 'implicit-le' });
const segFrames = [
  [1, 0, 1, 0, 1, 0, 1, 0, 1],
  [0, 1, 1, 1, 0, 0, 0, 0, 1],
  [1, 1, 1, 1, 1, 1, 1, 1, 0],
];
const seg = binarySeg({ studyInstanceUID: studyUid, patientId }, segFrames, 3);
const jpegFrames = [[fakeJpeg(1)], [fakeJpeg(2, 31)]];
const jpeg = encapsulated({ studyInstanceUID: studyUid, patientId }, jpegFrames, { seriesNumber: 4 });
// Frame 2 split over two fragments; the Basic Offset Table says where frames start.
const jpegSplit = encapsulated({ studyInstanceUID: studyUid, patientId }, [[fakeJpeg(3)], [fakeJpeg(4).subarray(0, 20), Buffer.from('continuation-bytes')]], { basicOffsetTable: true, seriesNumber: 6 });
const multi = multiFrame({ studyInstanceUID: studyUid, patientId }, 3, 5);
const zipped = deflated({ studyInstanceUID: studyUid, patientId }, 7);
const eotFrames = [[fakeJpeg(5)], [fakeJpeg(6, 50)], [fakeJpeg(7, 23)]]; // odd: the table gives the exact length, the fragment is padded
const withEot = encapsulated({ studyInstanceUID: studyUid, patientId }, eotFrames, { extendedOffsetTable: true, seriesNumber: 8 });

const explicitFiles = [...explicit.instances];
const implicitFiles = [...implicit.instances];
/** Everything stored, in the order the study is retrieved (series number, then instance number). */
const studyOrder = [...explicitFiles.map((i) => i.bytes), ...implicitFiles.map((i) => i.bytes), seg.bytes, jpeg.bytes, multi.bytes, jpegSplit.bytes, zipped.bytes, withEot.bytes];

let node: TestNode;
let wado: string;

test.before(async (t) => {
  node = await startNode();
  wado = `${node.url}/dicomweb`;
  const res = await stowInstances(node.url, [...studyOrder].reverse());
  t.is(res.status, 200, JSON.stringify(res.body));
});

test.after.always(async () => {
  await node?.close();
});

const instanceUrl = (series: string, sop: string) => `${wado}/studies/${studyUid}/series/${series}/instances/${sop}`;

test('retrieve study: every stored file, byte for byte, in series then instance order', async (t) => {
  const res = await get(`${wado}/studies/${studyUid}`);
  t.is(res.status, 200);
  const ct = parseMediaType(res.contentType);
  t.is(ct.type, 'multipart/related');
  t.is(ct.params.type, 'application/dicom');
  t.is(res.parts.length, studyOrder.length);
  res.parts.forEach((p, i) => t.true(p.body.equals(studyOrder[i]!), `part ${i}`));
  t.is(res.parts[0]!.headers['content-type'], `application/dicom; transfer-syntax=${EXPLICIT_LE}`);
  t.is(res.parts[4]!.headers['content-type'], `application/dicom; transfer-syntax=${IMPLICIT_LE}`);
  t.is(res.parts[0]!.headers['content-length'], String(studyOrder[0]!.length));
});

test('retrieve series and instance; Accept variants that allow the stored syntax', async (t) => {
  const series = await get(`${wado}/studies/${studyUid}/series/${implicit.seriesInstanceUID}`, 'multipart/related; type="application/dicom"');
  t.is(series.status, 200);
  t.deepEqual(series.parts.map((p) => p.body), implicitFiles.map((i) => i.bytes));
  for (const accept of [undefined, '*/*', 'multipart/related; type="application/dicom"; transfer-syntax=*', `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`, `multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50, multipart/related; type=application/dicom; q=0.5`]) {
    const one = await get(instanceUrl(explicit.seriesInstanceUID, explicitFiles[2]!.sopInstanceUID), accept);
    t.is(one.status, 200, String(accept));
    t.is(one.parts.length, 1);
    t.true(one.parts[0]!.body.equals(explicitFiles[2]!.bytes));
  }
});

test('406 for a transfer syntax the node would have to transcode to', async (t) => {
  const res = await get(instanceUrl(explicit.seriesInstanceUID, explicitFiles[0]!.sopInstanceUID), `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_BASELINE}`);
  t.is(res.status, 406);
  const body = JSON.parse(res.body.toString());
  t.is(body.error, 'not_acceptable');
  t.regex(body.message, /Explicit VR Little Endian/);
  // A study holding JPEG objects cannot be sent as Explicit VR Little Endian either.
  t.is((await get(`${wado}/studies/${studyUid}`, `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`)).status, 406);
});

test('404 for unknown study, series, instance; 400 for a malformed UID', async (t) => {
  t.is((await get(`${wado}/studies/${newUid()}`)).status, 404);
  t.is((await get(`${wado}/studies/${studyUid}/series/${newUid()}`)).status, 404);
  t.is((await get(instanceUrl(explicit.seriesInstanceUID, newUid()))).status, 404);
  t.is((await get(instanceUrl(implicit.seriesInstanceUID, explicitFiles[0]!.sopInstanceUID))).status, 404, 'instance under the wrong series');
  t.is((await getJson(`${wado}/studies/${newUid()}/metadata`)).status, 404);
  t.is((await get(`${wado}/studies/1.2.abc`)).status, 400);
});

test('metadata (explicit VR): values as written, PixelData BulkDataURI returns the pixels', async (t) => {
  const { status, json } = await getJson(`${wado}/studies/${studyUid}/series/${explicit.seriesInstanceUID}/metadata`);
  t.is(status, 200);
  t.is(json.length, 4);
  for (const [i, inst] of explicitFiles.entries()) {
    const md = json.find((m: any) => m['00080018'].Value[0] === inst.sopInstanceUID);
    t.truthy(md, `instance ${i}`);
    t.deepEqual(md['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] });
    t.deepEqual(md['00200032'], { vr: 'DS', Value: inst.imagePositionPatient });
    t.deepEqual(md['00200037'].Value, [1, 0, 0, 0, 1, 0]);
    t.deepEqual(md['00280030'].Value, [0.9375, 0.9375]);
    t.deepEqual(md['00280010'], { vr: 'US', Value: [16] });
    t.deepEqual(md['00280011'], { vr: 'US', Value: [12] });
    t.deepEqual(md['00280100'], { vr: 'US', Value: [16] });
    t.deepEqual(md['00200013'], { vr: 'IS', Value: [i + 1] });
    t.deepEqual(md['00080008'].Value, ['ORIGINAL', 'PRIMARY', 'OTHER']);
    t.deepEqual(md['00080090'], { vr: 'PN' }, 'empty type 2 attribute has no Value');
    t.deepEqual(md['00083002'], { vr: 'UI', Value: [EXPLICIT_LE] });
    const uri: string = md['7FE00010'].BulkDataURI;
    t.is(md['7FE00010'].vr, 'OW');
    t.is(uri, `${instanceUrl(explicit.seriesInstanceUID, inst.sopInstanceUID)}/bulkdata/7FE00010`);
    const bulk = await get(uri);
    t.is(bulk.status, 200);
    t.is(bulk.parts.length, 1);
    t.is(bulk.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`);
    t.true(bulk.parts[0]!.body.equals(pixelsOf(inst, 16, 12)));
  }
});

test('metadata (implicit VR): VRs from the data dictionary, same values', async (t) => {
  const { json } = await getJson(`${wado}/studies/${studyUid}/series/${implicit.seriesInstanceUID}/metadata`);
  t.is(json.length, 3);
  const inst = implicitFiles[1]!;
  const md = json.find((m: any) => m['00080018'].Value[0] === inst.sopInstanceUID);
  t.deepEqual(md['00200032'], { vr: 'DS', Value: inst.imagePositionPatient });
  t.deepEqual(md['00280010'], { vr: 'US', Value: [8] });
  t.deepEqual(md['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] });
  t.is(md['7FE00010'].vr, 'OW');
  t.deepEqual(md['00083002'].Value, [IMPLICIT_LE]);
  const bulk = await get(md['7FE00010'].BulkDataURI, 'application/octet-stream');
  t.is(bulk.status, 200);
  t.regex(bulk.contentType, /^application\/octet-stream; transfer-syntax=1\.2\.840\.10008\.1\.2\.1$/);
  t.true(bulk.body.equals(pixelsOf(inst, 8, 8)), 'single-part answer when asked for application/octet-stream');
});

test('study metadata covers every instance; SEG metadata keeps its sequences', async (t) => {
  const { json } = await getJson(`${wado}/studies/${studyUid}/metadata`);
  t.is(json.length, studyOrder.length);
  const md = json.find((m: any) => m['00080018'].Value[0] === seg.sopInstanceUID);
  t.deepEqual(md['00620002'].Value[0]['00620005'], { vr: 'LO', Value: ['Liver'] });
  t.deepEqual(md['00620002'].Value[0]['00620004'], { vr: 'US', Value: [1] });
  const perFrame = md['52009230'].Value;
  t.is(perFrame.length, 3);
  t.deepEqual(perFrame[2]['00209113'].Value[0]['00200032'].Value, [0, 0, 5]);
  t.deepEqual(md['00280008'], { vr: 'IS', Value: [3] });
  t.is(md['7FE00010'].BulkDataURI, `${instanceUrl(seg.seriesInstanceUID, seg.sopInstanceUID)}/bulkdata/7FE00010`);
  const bulk = await get(md['7FE00010'].BulkDataURI);
  t.true(bulk.parts[0]!.body.equals(seg.pixels), 'bulk data of BINARY SEG: the value as stored, bit-packed');
});

test('frames of a single-frame instance and of a native multi-frame instance', async (t) => {
  const inst = explicitFiles[0]!;
  const one = await get(`${instanceUrl(explicit.seriesInstanceUID, inst.sopInstanceUID)}/frames/1`);
  t.is(one.status, 200);
  t.is(parseMediaType(one.contentType).params.type, 'application/octet-stream');
  t.is(one.parts.length, 1);
  t.is(one.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`);
  t.true(one.parts[0]!.body.equals(pixelsOf(inst, 16, 12)));

  const base = instanceUrl(multi.seriesInstanceUID, multi.sopInstanceUID);
  const frame = (k: number) => multi.pixels.subarray((k - 1) * multi.frameSize, k * multi.frameSize);
  const both = await get(`${base}/frames/1,3`, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
  t.is(both.status, 200);
  t.deepEqual(both.parts.map((p) => p.body), [frame(1), frame(3)]);
  const reordered = await get(`${base}/frames/3,2,3`);
  t.deepEqual(reordered.parts.map((p) => p.body), [frame(3), frame(2), frame(3)]);
  const implicitFrame = await get(`${instanceUrl(implicit.seriesInstanceUID, implicitFiles[0]!.sopInstanceUID)}/frames/1`, `multipart/related; type="application/octet-stream"; transfer-syntax=${IMPLICIT_LE}`);
  t.true(implicitFrame.parts[0]!.body.equals(pixelsOf(implicitFiles[0]!, 8, 8)));
});

test('frames of a BINARY 1-bit object are re-packed to start at bit 0', async (t) => {
  const base = instanceUrl(seg.seriesInstanceUID, seg.sopInstanceUID);
  const res = await get(`${base}/frames/1,2,3`);
  t.is(res.status, 200);
  t.is(res.parts.length, 3);
  res.parts.forEach((p, k) => {
    t.is(p.body.length, 2, '9 bits → 2 bytes');
    const bits = Array.from({ length: 9 }, (_, i) => bitAt(p.body, i));
    t.deepEqual(bits, segFrames[k], `frame ${k + 1}`);
    for (let i = 9; i < 16; i++) t.is(bitAt(p.body, i), 0, 'padding bits are zero');
  });
});

test('frames of encapsulated pixel data: the stored compressed frame, as image/jpeg', async (t) => {
  const base = instanceUrl(jpeg.seriesInstanceUID, jpeg.sopInstanceUID);
  const res = await get(`${base}/frames/2`, 'multipart/related; type="image/jpeg"');
  t.is(res.status, 200);
  t.is(parseMediaType(res.contentType).params.type, 'image/jpeg');
  t.is(res.parts[0]!.headers['content-type'], `image/jpeg; transfer-syntax=${JPEG_BASELINE}`);
  // A 31-byte fragment is stored padded to 32 (PS3.5 §A.4: fragments have even length).
  t.true(res.parts[0]!.body.equals(Buffer.concat([jpegFrames[1]![0]!, Buffer.alloc(1)])));
  const star = await get(`${base}/frames/1,2`, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
  t.is(star.status, 200);
  t.is(star.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${JPEG_BASELINE}`);
  t.true(star.parts[0]!.body.equals(jpegFrames[0]![0]!));
  const any = await get(`${base}/frames/1`);
  t.is(any.parts[0]!.headers['content-type'], `image/jpeg; transfer-syntax=${JPEG_BASELINE}`);
  // Uncompressed bytes (octet-stream without transfer-syntax) would need decoding: 406.
  t.is((await get(`${base}/frames/1`, 'multipart/related; type="application/octet-stream"')).status, 406);
  t.is((await get(`${base}/frames/1`, 'multipart/related; type="image/jp2"')).status, 406);

  const split = instanceUrl(jpegSplit.seriesInstanceUID, jpegSplit.sopInstanceUID);
  const f2 = await get(`${split}/frames/2`);
  t.true(f2.parts[0]!.body.equals(Buffer.concat([fakeJpeg(4).subarray(0, 20), Buffer.from('continuation-bytes')])), 'fragments of one frame joined, per the Basic Offset Table');
  const bulk = await get(`${split}/bulkdata/7FE00010`);
  t.is(bulk.status, 200);
  t.is(bulk.parts.length, 2, 'bulk data of encapsulated Pixel Data: one part per frame');
});

test('Extended Offset Table: frames located without walking the fragments', async (t) => {
  const base = instanceUrl(withEot.seriesInstanceUID, withEot.sopInstanceUID);
  const res = await get(`${base}/frames/3,1,2`);
  t.is(res.status, 200);
  t.deepEqual(res.parts.map((p) => p.body), [eotFrames[2]![0]!, eotFrames[0]![0]!, eotFrames[1]![0]!]);
  const { json } = await getJson(`${base}/metadata`);
  t.truthy(json[0]['7FE00001'].InlineBinary, 'small OV table inline');
});

test('deflated instance: metadata, frames and bulk data from the inflated data set', async (t) => {
  const base = instanceUrl(zipped.seriesInstanceUID, zipped.sopInstanceUID);
  const { status, json } = await getJson(`${base}/metadata`);
  t.is(status, 200);
  t.deepEqual(json[0]['00280008'], { vr: 'IS', Value: [2] });
  t.deepEqual(json[0]['00083002'].Value, ['1.2.840.10008.1.2.1.99']);
  const f2 = await get(`${base}/frames/2`);
  t.is(f2.status, 200);
  t.true(f2.parts[0]!.body.equals(zipped.pixels.subarray(16)));
  t.is(f2.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`);
  const bulk = await get(json[0]['7FE00010'].BulkDataURI);
  t.true(bulk.parts[0]!.body.equals(zipped.pixels));
  const whole = await get(base);
  t.true(whole.parts[0]!.body.equals(zipped.bytes), 'the instance itself is sent as stored (deflated)');
});

test('frame numbers: 400 for 0 or non-numbers, 404 beyond Number of Frames', async (t) => {
  const base = instanceUrl(multi.seriesInstanceUID, multi.sopInstanceUID);
  for (const bad of ['0', 'abc', '1,x', '-1', '1.5', '1,,2']) t.is((await get(`${base}/frames/${bad}`)).status, 400, bad);
  t.is((await get(`${base}/frames/4`)).status, 404);
  t.is((await get(`${base}/frames/1,4`)).status, 404);
});

test('bulk data: malformed path 400, absent attribute 404, nested attribute by path', async (t) => {
  const base = instanceUrl(seg.seriesInstanceUID, seg.sopInstanceUID);
  t.is((await get(`${base}/bulkdata/7FE0`)).status, 400);
  t.is((await get(`${base}/bulkdata/7FE00010.x`)).status, 400);
  t.is((await get(`${base}/bulkdata/00091010`)).status, 404);
  const label = await get(`${base}/bulkdata/00620002.0.00620005`, 'application/octet-stream');
  t.is(label.status, 200);
  t.is(label.body.toString('latin1'), 'Liver ');
});

test('metadata of a 500-instance series in well under a second', async (t) => {
  const big = syntheticSeries({ count: 500, rows: 64, columns: 64, patientId: 'WADO-BIG', seriesNumber: 1 });
  const files = [...big.instances].map((i) => i.bytes);
  for (let i = 0; i < files.length; i += 100) t.is((await stowInstances(node.url, files.slice(i, i + 100))).status, 200);
  const url = `${wado}/studies/${big.studyInstanceUID}/series/${big.seriesInstanceUID}/metadata`;
  await getJson(url); // warm-up (dictionary, JIT)
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const { status, json } = await getJson(url);
    times.push(performance.now() - started);
    t.is(status, 200);
    t.is(json.length, 500);
  }
  const best = Math.min(...times);
  t.log(`metadata of 500 instances: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  t.true(best < 1000, `took ${best.toFixed(0)} ms`);
});
