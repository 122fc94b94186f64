import test from 'ava';
import {
  formatMediaType,
  MediaTypeError,
  parseAccept,
  parseMediaType,
} from '../../src/dicom/media-type.js';

test('STOW-RS Content-Type with a quoted type and a token boundary', (t) => {
  t.deepEqual(parseMediaType('multipart/related; type="application/dicom"; boundary=abc123'), {
    type: 'multipart/related',
    params: { type: 'application/dicom', boundary: 'abc123' },
  });
});

test('type and parameter names are lowercased, values keep their case', (t) => {
  t.deepEqual(parseMediaType('Multipart/Related; TYPE="Application/DICOM"; Boundary=AbC'), {
    type: 'multipart/related',
    params: { type: 'Application/DICOM', boundary: 'AbC' },
  });
});

test('an unquoted type=application/dicom is accepted', (t) => {
  t.deepEqual(parseMediaType('multipart/related;type=application/dicom;boundary=x').params, {
    type: 'application/dicom',
    boundary: 'x',
  });
});

test('whitespace around separators and "=" is tolerated', (t) => {
  const parsed = parseMediaType(' multipart/related \t;  type = "application/dicom" ;\tboundary=b  ');
  t.is(parsed.type, 'multipart/related');
  t.deepEqual(parsed.params, { type: 'application/dicom', boundary: 'b' });
});

test('an unquoted boundary may hold = : + . , / characters (RFC 2046 bchars)', (t) => {
  const boundary = "a=b:c+d.e,f/g'(h)_-?";
  t.is(parseMediaType(`multipart/related; boundary=${boundary}; type="application/dicom"`).params.boundary, boundary);
});

test('quoted values keep spaces and ";", and resolve backslash escapes', (t) => {
  const { params } = parseMediaType('multipart/related; boundary="a b;c\\"d\\\\e"; start="<x@y>"');
  t.is(params.boundary, 'a b;c"d\\e');
  t.is(params.start, '<x@y>');
});

test('empty parameters are skipped', (t) => {
  t.deepEqual(parseMediaType('text/plain;;charset=utf-8;').params, { charset: 'utf-8' });
});

test('a parameter named __proto__ stays a plain parameter', (t) => {
  const { params } = parseMediaType('a/b; __proto__=x');
  t.true(Object.hasOwn(params, '__proto__'));
  t.is(params['__proto__'], 'x');
  t.is(Object.getPrototypeOf(params), Object.prototype);
});

const malformed: Array<[string, RegExp]> = [
  ['', /expected a type/],
  ['multipart', /expected "\/"/],
  ['multipart/', /expected a subtype/],
  ['/related', /expected a type/],
  ['multipart/related boundary=x', /unexpected character/],
  ['multipart/related; boundary', /expected "="/],
  ['multipart/related; boundary=', /empty value/],
  ['multipart/related; boundary="abc', /unterminated quoted string/],
  ['multipart/related; boundary="abc\\', /unterminated escape/],
  ['multipart/related; boundary="a"x', /unexpected character/],
  ['multipart/related; boundary=a b', /unexpected character/],
  ['multipart/related; boundary=a"b', /bad character in boundary/],
  ['multipart/related; boundary=a; BOUNDARY=b', /given twice/],
  ['multipart/related; boundary="a\u0001"', /control character/],
  ['multipart/related; =x', /expected a parameter name/],
  ['multi part/related', /expected "\/"/],
];
for (const [value, message] of malformed) {
  test(`malformed: ${JSON.stringify(value)}`, (t) => {
    const error = t.throws(() => parseMediaType(value), { instanceOf: MediaTypeError, message });
    t.is(error?.name, 'MediaTypeError');
  });
}

test('Accept from PS3.18 §8.7.3 with transfer-syntax=*', (t) => {
  t.deepEqual(parseAccept('multipart/related; type="application/dicom"; transfer-syntax=*'), [
    { type: 'multipart/related', params: { type: 'application/dicom', 'transfer-syntax': '*' }, q: 1 },
  ]);
});

test('Accept ranges are sorted by q, keeping the client order among equals', (t) => {
  const ranges = parseAccept(
    'application/dicom+json;q=0.5, multipart/related; type="application/dicom", */*;q=0.1, application/json; q=0.5',
  );
  t.deepEqual(
    ranges.map((r) => [r.type, r.q]),
    [
      ['multipart/related', 1],
      ['application/dicom+json', 0.5],
      ['application/json', 0.5],
      ['*/*', 0.1],
    ],
  );
  t.deepEqual(ranges[0]?.params, { type: 'application/dicom' });
  t.deepEqual(ranges[1]?.params, {}, 'q is not a media type parameter');
});

test('a comma inside a quoted value does not split the Accept list', (t) => {
  const ranges = parseAccept('multipart/related; type="a/b, c/d"; q=0.9, x/y');
  t.deepEqual(
    ranges.map((r) => [r.type, r.params.type, r.q]),
    [
      ['x/y', undefined, 1],
      ['multipart/related', 'a/b, c/d', 0.9],
    ],
  );
});

test('an unquoted value ends at a comma in Accept', (t) => {
  const ranges = parseAccept('multipart/related;type=application/dicom,application/dicom+json');
  t.deepEqual(
    ranges.map((r) => [r.type, r.params]),
    [
      ['multipart/related', { type: 'application/dicom' }],
      ['application/dicom+json', {}],
    ],
  );
});

test('empty list elements and blank values are ignored', (t) => {
  t.deepEqual(parseAccept(''), []);
  t.deepEqual(parseAccept('  '), []);
  t.deepEqual(
    parseAccept(' , ,a/b ,, c/d,').map((r) => r.type),
    ['a/b', 'c/d'],
  );
});

test('parameters after q (accept extensions) are dropped; q=0 ranges are kept', (t) => {
  t.deepEqual(parseAccept('a/b;x=1;q=0.25;ext=2, c/d;q=0'), [
    { type: 'a/b', params: { x: '1' }, q: 0.25 },
    { type: 'c/d', params: {}, q: 0 },
  ]);
  t.deepEqual(parseAccept('a/b;q=1.000').map((r) => r.q), [1]);
  t.deepEqual(parseAccept('a/b;q=0.').map((r) => r.q), [0]);
  t.deepEqual(parseAccept('a/b;Q=0.5').map((r) => r.q), [0.5]);
});

for (const bad of ['a/b;q=2', 'a/b;q=1.5', 'a/b;q=0.5555', 'a/b;q=abc', 'a/b;q=-1', 'a/b c/d', 'a/b;', 'a/b;p="x"y, c/d']) {
  test(`malformed Accept: ${JSON.stringify(bad)}`, (t) => {
    if (bad === 'a/b;') {
      // A trailing ";" is an empty parameter, which the grammar allows.
      t.deepEqual(parseAccept(bad), [{ type: 'a/b', params: {}, q: 1 }]);
      return;
    }
    t.throws(() => parseAccept(bad), { instanceOf: MediaTypeError });
  });
}

test('formatMediaType quotes only values that are not tokens, and parses back', (t) => {
  const params = { type: 'application/dicom', boundary: 'dafne-0123abcdef', 'transfer-syntax': '1.2.840.10008.1.2.1' };
  const header = formatMediaType('multipart/related', params);
  t.is(
    header,
    'multipart/related; type="application/dicom"; boundary=dafne-0123abcdef; transfer-syntax=1.2.840.10008.1.2.1',
  );
  t.deepEqual(parseMediaType(header), { type: 'multipart/related', params });
  const odd = { boundary: 'a "b" \\c', empty: '' };
  t.is(formatMediaType('x/y', odd), 'x/y; boundary="a \\"b\\" \\\\c"; empty=""');
  t.deepEqual(parseMediaType(formatMediaType('x/y', odd)).params, odd);
});

test('formatMediaType refuses values that cannot go in a header', (t) => {
  t.throws(() => formatMediaType('x/y', { a: 'b\r\nInjected: 1' }), { instanceOf: MediaTypeError });
  t.throws(() => formatMediaType('x/y', { a: '\u20ac' }), { instanceOf: MediaTypeError });
});
