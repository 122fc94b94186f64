import { randomBytes } from 'node:crypto';
import test from 'ava';
import { readMultipart } from '../../src/dicom/multipart.js';
import { CHUNKINGS, chunks, encode, fixed, latin1, prng, randomSizes, readAll } from './multipart-helpers.js';

const B = 'b0undary';

/** Check a hand-written body under every chunking, against the parts expected. */
function framing(title: string, raw: string, expected: Array<{ headers: Record<string, string>; body: string }>): void {
  for (const [name, sizes] of CHUNKINGS) {
    test(`${title} (${name} chunks)`, async (t) => {
      const data = latin1(raw);
      const parts = await readAll(chunks(data, sizes(data)), B);
      t.deepEqual(
        parts.map((p) => ({ headers: p.headers, body: p.body.toString('latin1') })),
        expected,
      );
    });
  }
}

const dicom = { 'content-type': 'application/dicom' };

framing(
  'close delimiter without a trailing CRLF (as Orthanc sends)',
  `--${B}\r\nContent-Type: application/dicom\r\n\r\nDATA1\r\n--${B}\r\nContent-Type: application/dicom\r\n\r\nDATA2\r\n--${B}--`,
  [
    { headers: dicom, body: 'DATA1' },
    { headers: dicom, body: 'DATA2' },
  ],
);

framing(
  'close delimiter with a trailing CRLF',
  `--${B}\r\nContent-Type: application/dicom\r\n\r\nDATA1\r\n--${B}--\r\n`,
  [{ headers: dicom, body: 'DATA1' }],
);

framing(
  'preamble and epilogue are discarded',
  `This is a preamble.\r\n--${B}x is not a boundary\r\n--${B}\r\nContent-Type: application/dicom\r\n\r\nDATA\r\n--${B}--\r\nepilogue\r\n--${B}\r\nignored\r\n`,
  [{ headers: dicom, body: 'DATA' }],
);

framing(
  'transport padding after delimiters',
  `--${B} \t \r\nA: 1\r\n\r\nx\r\n--${B}\t\r\nA: 2\r\n\r\ny\r\n--${B}-- \t\r\n`,
  [
    { headers: { a: '1' }, body: 'x' },
    { headers: { a: '2' }, body: 'y' },
  ],
);

framing(
  'parts with and without Content-Length',
  `--${B}\r\nContent-Type: application/dicom\r\nContent-Length: 4\r\n\r\nabcd\r\n--${B}\r\nContent-Type: application/dicom\r\n\r\nefgh\r\n--${B}--`,
  [
    { headers: { ...dicom, 'content-length': '4' }, body: 'abcd' },
    { headers: dicom, body: 'efgh' },
  ],
);

framing(
  'a part with no header fields',
  `--${B}\r\n\r\nno headers\r\n--${B}--`,
  [{ headers: {}, body: 'no headers' }],
);

framing(
  'empty bodies, with and without the optional CRLF before the delimiter',
  `--${B}\r\nA: 1\r\n\r\n\r\n--${B}\r\nA: 2\r\n\r\n--${B}\r\n\r\n--${B}--`,
  [
    { headers: { a: '1' }, body: '' },
    { headers: { a: '2' }, body: '' },
    { headers: {}, body: '' },
  ],
);

// RFC 2046 §5.1.1: a delimiter is a whole line "--boundary" (plus padding); anything else is content.
const lookalike = `x--${B}\r\n-${B}\r\n--${B}x\r\n--${B}-x\r\n--${B} x\r\n--b0und\r\n\r\r\n\n`;
framing(
  'boundary-like content that is not a delimiter line stays content',
  `--${B}\r\n\r\n${lookalike}\r\n--${B}\r\n\r\n--${B}x\r\n--${B}--`,
  [
    { headers: {}, body: lookalike },
    { headers: {}, body: `--${B}x` },
  ],
);

test('transport padding longer than 1 KiB is not searched for a CRLF: the line is content', async (t) => {
  const lookalike = `\r\n--${B}${' '.repeat(1100)}\r\n`;
  const data = latin1(`--${B}\r\n\r\nx${lookalike}y\r\n--${B}--`);
  for (const size of [1, 100, data.length]) {
    const parts = await readAll(chunks(data, fixed(size)), B);
    t.is(parts.length, 1);
    t.is(parts[0]?.body.toString('latin1'), `x${lookalike}y`);
  }
});

framing('a body with zero parts', `--${B}--\r\n`, []);

framing(
  'header names are lowercased, values trimmed, folded and repeated fields joined',
  `--${B}\r\nContent-TYPE:application/dicom  \r\nX-Long: a\r\n  b\r\n\tc\r\nX-Rep: 1\r\nx-rep: 2\r\nX-Empty:\r\n\r\nz\r\n--${B}--`,
  [{ headers: { 'content-type': 'application/dicom', 'x-long': 'a b c', 'x-rep': '1, 2', 'x-empty': '' }, body: 'z' }],
);

/** True if `body` holds a real delimiter line, which a sender must never put in a part. */
function holdsDelimiter(body: Buffer, boundary: string): boolean {
  const text = `\r\n${body.toString('latin1')}\r\n`;
  return new RegExp(`\r\n--${boundary}(--|[ \t]*\r\n)`).test(text);
}

/** Parts whose content is built to trip a delimiter search. */
function trickyParts(seed: number, boundary: string): Array<{ headers: Record<string, string>; body: Buffer }> {
  const random = prng(seed);
  const pieces = [
    `x--${boundary}`,
    `--${boundary}x`,
    `\r\n--${boundary.slice(0, -1)}`,
    `\r\n--${boundary}x`,
    '\r\n',
    '\r',
    '\r\n\r\n',
    `\r\n-${boundary}`,
  ].map(latin1);
  const parts = [];
  const count = Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const body: Buffer[] = [];
    const n = Math.floor(random() * 12);
    for (let j = 0; j < n; j++) {
      body.push(random() < 0.5 ? pieces[Math.floor(random() * pieces.length)]! : randomBytes(Math.floor(random() * 300)));
    }
    let content: Buffer = Buffer.concat(body);
    // Pieces may (rarely) line up into a real delimiter line; such a body is not valid multipart.
    if (holdsDelimiter(content, boundary)) content = latin1('replaced');
    parts.push({ headers: { 'Content-Type': 'application/dicom', 'X-Index': String(i) }, body: content });
  }
  return parts;
}

test('round trip through multipartStream and readMultipart under random chunkings', async (t) => {
  const boundary = 'dafne-3f2a9c';
  for (let seed = 1; seed <= 60; seed++) {
    const parts = trickyParts(seed, boundary);
    const data = await encode(parts, boundary);
    for (const sizes of [fixed(1), randomSizes(seed, 7), randomSizes(seed, 500), fixed(data.length || 1)]) {
      const read = await readAll(chunks(data, sizes), boundary);
      t.is(read.length, parts.length, `seed ${seed}`);
      read.forEach((part, i) => {
        t.deepEqual(part.headers, { 'content-type': 'application/dicom', 'x-index': String(i) });
        t.true(part.body.equals(parts[i]!.body), `seed ${seed} part ${i}`);
      });
    }
  }
});

test('a consumer that leaves bodies unread still gets every part', async (t) => {
  const parts = [0, 1, 2, 3].map((i) => ({ headers: { n: String(i) }, body: randomBytes(10_000) }));
  const data = await encode(parts, B);
  const seen: string[] = [];
  const firstBytes: Buffer[] = [];
  let i = 0;
  for await (const part of readMultipart(chunks(data, fixed(97)), B)) {
    seen.push(part.headers.n!);
    if (i === 1) {
      // Read a little, then walk away mid-body.
      for await (const piece of part.body) {
        firstBytes.push(piece);
        break;
      }
    } else if (i === 2) {
      await part.skip();
      await part.skip(); // idempotent
      const after: Buffer[] = [];
      for await (const piece of part.body) after.push(piece);
      t.is(after.length, 0, 'nothing left after skip()');
    }
    i++;
  }
  t.deepEqual(seen, ['0', '1', '2', '3']);
  t.true(parts[1]!.body.subarray(0, firstBytes[0]!.length).equals(firstBytes[0]!));
});

test('body slices are views of the input chunks, not copies', async (t) => {
  const data = latin1(`--${B}\r\nA: 1\r\n\r\n${'x'.repeat(1000)}\r\n--${B}--`);
  for await (const part of readMultipart(chunks(data, fixed(data.length)), B)) {
    for await (const piece of part.body) {
      t.is(piece.buffer, data.buffer);
      t.is(piece.length, 1000);
    }
  }
});

test('Uint8Array input chunks are accepted', async (t) => {
  const data = latin1(`--${B}\r\n\r\nhello\r\n--${B}--`);
  async function* u8(): AsyncGenerator<Uint8Array> {
    for (const byte of data) yield new Uint8Array([byte]);
  }
  const parts = await readAll(u8() as AsyncIterable<Buffer>, B);
  t.is(parts[0]?.body.toString(), 'hello');
});

test('the input is read to its end after the close delimiter, and released on early exit', async (t) => {
  const data = latin1(`--${B}\r\n\r\none\r\n--${B}\r\n\r\ntwo\r\n--${B}--\r\nepilogue`);
  let finished = false;
  let released = false;
  async function* input(): AsyncGenerator<Buffer> {
    try {
      yield* chunks(data, fixed(5));
      finished = true;
    } finally {
      released = true;
    }
  }
  t.is((await readAll(input(), B)).length, 2);
  t.true(finished, 'epilogue drained');

  finished = false;
  released = false;
  for await (const part of readMultipart(input(), B)) {
    t.is(part.headers && typeof part.headers, 'object');
    break;
  }
  t.false(finished);
  t.true(released, 'input iterator returned');
});
