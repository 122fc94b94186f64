import test from 'ava';
import { MultipartError, readMultipart } from '../../src/dicom/multipart.js';
import { chunks, encode, fixed, latin1, readAll } from './multipart-helpers.js';

const B = 'b0undary';

function isMultipartError(t: { fail(m: string): void }, error: unknown): error is MultipartError {
  if (error instanceof MultipartError) return true;
  t.fail(`expected a MultipartError, got ${String(error)}`);
  return false;
}

test('an empty body has no boundary', async (t) => {
  const error = await t.throwsAsync(readAll(chunks(Buffer.alloc(0), fixed(1)), B), { instanceOf: MultipartError });
  t.is(error?.code, 'no-boundary-found');
  t.regex(error?.message ?? '', /empty/);
});

test('a body without the boundary is refused, however it is chunked', async (t) => {
  const data = latin1(`--other\r\nA: 1\r\n\r\nx\r\n--other--\r\n`);
  for (const size of [1, 3, data.length]) {
    const error = await t.throwsAsync(readAll(chunks(data, fixed(size)), B), { instanceOf: MultipartError });
    t.is(error?.code, 'no-boundary-found');
  }
});

test('every truncation of a body is reported, and the cut part body throws', async (t) => {
  const parts = [
    { headers: { 'Content-Type': 'application/dicom' }, body: latin1('first part\r\n') },
    { headers: { 'Content-Type': 'application/dicom' }, body: latin1('second\r\npart') },
  ];
  const full = await encode(parts, B);
  const closeEnd = full.length - 2; // the close delimiter ends before the final CRLF
  for (let cut = 0; cut < closeEnd; cut++) {
    const got: Buffer[][] = [];
    let bodyError: unknown;
    let outerError: unknown;
    try {
      for await (const part of readMultipart(chunks(full.subarray(0, cut), fixed(1)), B)) {
        const pieces: Buffer[] = [];
        got.push(pieces);
        try {
          for await (const piece of part.body) pieces.push(piece);
        } catch (error) {
          bodyError = error;
        }
      }
    } catch (error) {
      outerError = error;
    }
    if (!isMultipartError(t, outerError)) return;
    const firstLineEnd = `--${B}\r\n`.length;
    t.is(outerError.code, cut < `--${B}`.length ? 'no-boundary-found' : 'truncated', `cut ${cut}`);
    if (cut >= firstLineEnd) t.true(outerError.code === 'truncated');
    if (bodyError !== undefined) {
      // The consumer saw the error while reading the cut part: same error, and only true bytes.
      t.is(bodyError, outerError, `cut ${cut}`);
      const index = got.length - 1;
      const partial = Buffer.concat(got[index]!);
      t.true(parts[index]!.body.subarray(0, partial.length).equals(partial), `cut ${cut}`);
    }
    got.slice(0, -1).forEach((pieces, i) => t.true(Buffer.concat(pieces).equals(parts[i]!.body)));
  }
  // Cutting after the close delimiter (before the trailing CRLF) is still a complete body.
  t.is((await readAll(chunks(full.subarray(0, closeEnd), fixed(1)), B)).length, 2);
});

test('a failing input (client disconnect) becomes a truncated error with the cause', async (t) => {
  const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  async function* input(): AsyncGenerator<Buffer> {
    yield latin1(`--${B}\r\nContent-Type: application/dicom\r\n\r\nsome bytes`);
    throw aborted;
  }
  const pieces: Buffer[] = [];
  let bodyError: unknown;
  const outer = await t.throwsAsync(async () => {
    for await (const part of readMultipart(input(), B)) {
      try {
        for await (const piece of part.body) pieces.push(piece);
      } catch (error) {
        bodyError = error;
      }
    }
  });
  t.is(bodyError, outer);
  if (!isMultipartError(t, outer)) return;
  t.is(outer.code, 'truncated');
  t.is(outer.cause, aborted);
  t.is(Buffer.concat(pieces).toString(), 'some bytes');
});

test('part headers larger than maxHeaderBytes are refused', async (t) => {
  const header = `X-Big: ${'a'.repeat(200)}`;
  const data = latin1(`--${B}\r\n${header}\r\n\r\nx\r\n--${B}--`);
  for (const size of [1, 50, data.length]) {
    const error = await t.throwsAsync(readAll(chunks(data, fixed(size)), B, { maxHeaderBytes: 100 }), {
      instanceOf: MultipartError,
    });
    t.is(error?.code, 'header-too-large');
  }
  // The limit is on the header block; a block of exactly the limit passes.
  const parts = await readAll(chunks(data, fixed(7)), B, { maxHeaderBytes: header.length });
  t.is(parts[0]?.headers['x-big'], 'a'.repeat(200));
});

test('the default header limit is 16 KiB', async (t) => {
  const body = (n: number) => latin1(`--${B}\r\nX: ${'a'.repeat(n)}\r\n\r\nx\r\n--${B}--`);
  t.is((await readAll(chunks(body(16_000), fixed(4096)), B)).length, 1);
  const error = await t.throwsAsync(readAll(chunks(body(17_000), fixed(4096)), B), { instanceOf: MultipartError });
  t.is(error?.code, 'header-too-large');
});

test('an endless header line fails at the limit instead of being buffered', async (t) => {
  let pulled = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    yield latin1(`--${B}\r\nX: `);
    for (;;) {
      pulled += 1000;
      yield Buffer.alloc(1000, 0x61);
    }
  }
  const error = await t.throwsAsync(readAll(endless(), B), { instanceOf: MultipartError });
  t.is(error?.code, 'header-too-large');
  t.true(pulled <= 16 * 1024 + 2000, `pulled ${pulled} bytes`);
});

for (const [title, headerBlock] of [
  ['a line without a colon', 'Content-Type application/dicom'],
  ['a space before the colon', 'Content-Type : application/dicom'],
  ['an empty field name', ': value'],
  ['a continuation line first', ' folded: x'],
  ['a bare LF inside a line', 'A: 1\nB: 2'],
]) {
  test(`malformed part headers: ${title}`, async (t) => {
    const data = latin1(`--${B}\r\n${headerBlock}\r\n\r\nx\r\n--${B}--`);
    const error = await t.throwsAsync(readAll(chunks(data, fixed(3)), B), { instanceOf: MultipartError });
    t.is(error?.code, 'malformed-header');
  });
}

test('invalid boundaries are refused before reading', async (t) => {
  for (const boundary of ['', 'a\r\nb', 'x'.repeat(201), 'caf\u00e9']) {
    const error = await t.throwsAsync(readAll(chunks(latin1('--x--'), fixed(1)), boundary), {
      instanceOf: MultipartError,
    });
    t.is(error?.code, 'invalid-boundary');
  }
});

test('reading a part body concurrently is refused', async (t) => {
  async function* slow(): AsyncGenerator<Buffer> {
    yield latin1(`--${B}\r\n\r\n`);
    await new Promise((resolve) => setImmediate(resolve));
    yield latin1(`data\r\n--${B}--`);
  }
  for await (const part of readMultipart(slow(), B)) {
    const a = part.body[Symbol.asyncIterator]();
    const b = part.body[Symbol.asyncIterator]();
    const first = a.next();
    await t.throwsAsync(b.next(), { message: /read twice at the same time/ });
    t.is((await first).value?.toString(), 'data');
  }
});

test('a part body read after the reader was closed throws', async (t) => {
  const data = latin1(`--${B}\r\n\r\n${'x'.repeat(100)}\r\n--${B}--`);
  let kept: AsyncIterable<Buffer> | undefined;
  for await (const part of readMultipart(chunks(data, fixed(10)), B)) {
    kept = part.body;
    break;
  }
  await t.throwsAsync(async () => {
    for await (const piece of kept!) t.truthy(piece);
  }, { message: /closed/ });
});

test('input chunks must be bytes, and maxHeaderBytes a non-negative integer', async (t) => {
  async function* strings(): AsyncGenerator<string> {
    yield `--${B}\r\n\r\nx\r\n--${B}--`;
  }
  await t.throwsAsync(readAll(strings() as unknown as AsyncIterable<Buffer>, B), { instanceOf: TypeError });
  await t.throwsAsync(readAll(chunks(latin1('--x--'), fixed(1)), 'x', { maxHeaderBytes: -1 }), {
    instanceOf: TypeError,
  });
});
