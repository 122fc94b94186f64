import test from 'ava';
import { HttpError } from '../../src/http/errors.js';
import { negotiate, negotiateOr406, type Rendition } from '../../src/dicomweb/wado-accept.js';

const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG = '1.2.840.10008.1.2.4.50';
const dicom: Rendition[] = [{ type: 'application/dicom', syntaxes: [EXPLICIT], bareOk: true }];
const jpegFrames: Rendition[] = [
  { type: 'image/jpeg', syntaxes: [JPEG], bareOk: true },
  { type: 'application/octet-stream', syntaxes: [JPEG], bareOk: false },
];

test('absent, empty and star Accept take the first rendition as multipart', (t) => {
  for (const a of [undefined, '', '*/*', 'multipart/related', 'multipart/*; q=0.5']) {
    t.deepEqual(negotiate(a, jpegFrames), { rendition: jpegFrames[0], multipart: true }, String(a));
  }
});

test('multipart/related with type and transfer-syntax', (t) => {
  t.truthy(negotiate('multipart/related; type="application/dicom"', dicom));
  t.truthy(negotiate('multipart/related; type=application/dicom; transfer-syntax=*', dicom));
  t.truthy(negotiate(`multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT}`, dicom));
  t.is(negotiate(`multipart/related; type="application/dicom"; transfer-syntax=${JPEG}`, dicom), null);
  t.is(negotiate('multipart/related; type="application/dicom+json"', dicom), null);
  t.is(negotiate('multipart/related; type="application/octet-stream"', jpegFrames), null, 'octet-stream without syntax means uncompressed');
  t.is(negotiate('multipart/related; type="application/octet-stream"; transfer-syntax=*', jpegFrames)?.rendition, jpegFrames[1]);
  t.is(negotiate('multipart/related; type="image/*"', jpegFrames)?.rendition, jpegFrames[0]);
});

test('weights: the best acceptable range wins; q=0 is never chosen', (t) => {
  const a = `multipart/related; type="application/octet-stream"; q=0.9, multipart/related; type="image/jpeg"; q=0.5`;
  t.is(negotiate(a, jpegFrames)?.rendition, jpegFrames[0], 'the first range is not acceptable, the second is');
  t.is(negotiate('multipart/related; type="image/jpeg"; q=0', jpegFrames), null);
});

test('single part only where allowed', (t) => {
  t.is(negotiate('image/jpeg', jpegFrames), null);
  t.deepEqual(negotiate('image/jpeg', jpegFrames, { singlePart: true }), { rendition: jpegFrames[0], multipart: false });
});

test('406 names what is stored; a malformed Accept is 400', (t) => {
  const e = t.throws(() => negotiateOr406(`multipart/related; type="application/dicom"; transfer-syntax=${JPEG}`, dicom, 'stored as Explicit VR Little Endian'), { instanceOf: HttpError });
  t.is(e?.status, 406);
  t.regex(e!.message, /stored as Explicit VR Little Endian/);
  const bad = t.throws(() => negotiate('multipart/related; type="unterminated', dicom), { instanceOf: HttpError });
  t.is(bad?.status, 400);
});
