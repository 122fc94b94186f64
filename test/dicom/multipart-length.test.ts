import test from 'ava';
import { MultipartError, readMultipart } from '../../src/dicom/multipart.js';
import { chunks, fixed, prng } from './multipart-helpers.js';

/** Parts that declare Content-Length are handed out without searching (multipart-scan.ts). */
const B = 'len-boundary';

function body(parts: { bytes: Buffer; length?: number }[], closeCrlf = false): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    out.push(Buffer.from(`--${B}\r\nContent-Type: application/dicom\r\n${p.length === undefined ? '' : `Content-Length: ${p.length}\r\n`}\r\n`));
    out.push(p.bytes, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${B}--${closeCrlf ? '\r\n' : ''}`));
  return Buffer.concat(out);
}

async function read(input: Buffer, chunkSize: () => number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  for await (const part of readMultipart(chunks(input, chunkSize), B)) {
    const pieces: Buffer[] = [];
    for await (const c of part.body) pieces.push(Buffer.from(c));
    got.push(Buffer.concat(pieces));
  }
  return got;
}

test('declared lengths give the exact bytes, even when the content holds the delimiter text', async (t) => {
  const rnd = prng(5);
  const tricky = Buffer.concat([Buffer.from(`x\r\n--${B}\r\ny`), Buffer.alloc(3000, 7)]);
  const parts = [{ bytes: tricky }, { bytes: Buffer.alloc(0) }, { bytes: Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(rnd() * 256))) }];
  const input = body(parts.map((p) => ({ bytes: p.bytes, length: p.bytes.length })));
  for (const size of [fixed(1), fixed(7), fixed(65_536), () => 1 + rnd() * 5000]) {
    const got = await read(input, size);
    t.deepEqual(got.map((b) => b.toString('hex')), parts.map((p) => p.bytes.toString('hex')));
  }
});

test('parts with and without Content-Length mix', async (t) => {
  const a = Buffer.from('first part');
  const b = Buffer.from('second part without a length');
  const got = await read(body([{ bytes: a, length: a.length }, { bytes: b }], true), fixed(3));
  t.deepEqual(got.map(String), [String(a), String(b)]);
});

for (const [name, delta] of [['too short', -3], ['too long', 3]] as const) {
  test(`a Content-Length ${name} for its part is an error, not a guess`, async (t) => {
    const a = Buffer.from('0123456789');
    const err = await t.throwsAsync(read(body([{ bytes: a, length: a.length + delta }]), fixed(4)), { instanceOf: MultipartError });
    t.true(err.code === 'malformed-header' || err.code === 'truncated', err.code);
  });
}
