import test from 'ava';
import { parseMediaType, formatMediaType } from '../../src/dicom/media-type.js';
import { multipartStream, newBoundary } from '../../src/dicom/multipart.js';
import { chunks, encode, fixed, latin1, readAll } from './multipart-helpers.js';

test('multipartStream writes the exact RFC 2046 layout', async (t) => {
  async function* streamed(): AsyncGenerator<Buffer> {
    yield latin1('ab');
    yield Buffer.alloc(0);
    yield latin1('c');
  }
  const data = await encode(
    [
      { headers: { 'Content-Type': 'application/dicom', 'Content-Location': '/x' }, body: latin1('one') },
      { headers: {}, body: streamed() },
      { headers: { 'Content-Type': 'application/dicom' }, body: Buffer.alloc(0) },
    ],
    'bnd',
  );
  t.is(
    data.toString('latin1'),
    '--bnd\r\nContent-Type: application/dicom\r\nContent-Location: /x\r\n\r\none' +
      '\r\n--bnd\r\n\r\nabc' +
      '\r\n--bnd\r\nContent-Type: application/dicom\r\n\r\n' +
      '\r\n--bnd--\r\n',
  );
});

test('zero parts give only the close delimiter, which reads back as no parts', async (t) => {
  const data = await encode([], 'bnd');
  t.is(data.toString('latin1'), '--bnd--\r\n');
  t.deepEqual(await readAll(chunks(data, fixed(1)), 'bnd'), []);
});

test('the writer pulls parts and body chunks only as its output is read', async (t) => {
  const log: string[] = [];
  async function* body(name: string): AsyncGenerator<Buffer> {
    for (let i = 0; i < 2; i++) {
      log.push(`${name}.${i}`);
      yield latin1(`${name}${i}`);
    }
  }
  async function* parts() {
    for (const name of ['a', 'b']) {
      log.push(`part ${name}`);
      yield { headers: {}, body: body(name) };
    }
  }
  const out = multipartStream(parts(), 'bnd');
  await out.next(); // first delimiter and headers
  t.deepEqual(log, ['part a']);
  await out.next();
  t.deepEqual(log, ['part a', 'a.0']);
  for await (const piece of out) t.true(piece.length > 0);
  t.deepEqual(log, ['part a', 'a.0', 'a.1', 'part b', 'b.0', 'b.1']);
});

test('header names and values that could inject fields are refused', async (t) => {
  await t.throwsAsync(encode([{ headers: { 'X-A': 'v\r\nX-Injected: 1' }, body: Buffer.alloc(0) }], 'b'), {
    instanceOf: TypeError,
  });
  await t.throwsAsync(encode([{ headers: { 'X A': 'v' }, body: Buffer.alloc(0) }], 'b'), { instanceOf: TypeError });
  await t.throwsAsync(encode([{ headers: { 'X-A': '\u20ac' }, body: Buffer.alloc(0) }], 'b'), {
    instanceOf: TypeError,
  });
});

test('the writer refuses boundaries outside RFC 2046', async (t) => {
  for (const boundary of ['', 'a b ', 'x'.repeat(71), 'a"b', 'a\r\nb']) {
    await t.throwsAsync(encode([], boundary), { instanceOf: TypeError }, JSON.stringify(boundary));
  }
  t.is((await encode([], 'x'.repeat(70))).length, 70 + 6);
});

test('newBoundary is random, a token, and survives a Content-Type round trip', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const boundary = newBoundary();
    t.regex(boundary, /^dafne-[0-9a-f]{32}$/);
    seen.add(boundary);
  }
  t.is(seen.size, 100);
  const boundary = newBoundary();
  const header = formatMediaType('multipart/related', { type: 'application/dicom', boundary });
  t.is(header, `multipart/related; type="application/dicom"; boundary=${boundary}`);
  t.is(parseMediaType(header).params.boundary, boundary);
  const data = await encode([{ headers: { 'Content-Type': 'application/dicom' }, body: latin1('x') }], boundary);
  t.is((await readAll(chunks(data, fixed(3)), boundary))[0]?.body.toString(), 'x');
});
