import test from 'ava';
import { EXPLICIT_LE, IMPLICIT_LE } from '../../src/dicom/element-reader.js';
import { encodeDataset, type DataElement } from '../../src/dicom/part10-writer.js';
import { childPath, itemPrefix, locateElement, parseTagPath, tagHex } from '../../src/dicom/tag-path.js';

test('tag paths: parse and build', (t) => {
  t.deepEqual(parseTagPath('7FE00010'), [{ tag: 0x7fe00010 }]);
  t.deepEqual(parseTagPath('00540016.0.00181072'), [{ tag: 0x00540016, item: 0 }, { tag: 0x00181072 }]);
  t.deepEqual(parseTagPath('7fe00010'), [{ tag: 0x7fe00010 }], 'lower case hex is accepted');
  for (const bad of ['', '7FE0', '7FE00010.', '7FE00010.0', '00540016.x.00181072', '00540016.01.00181072', '7FE0001G', '../etc', '00540016.-1.00181072']) {
    t.is(parseTagPath(bad), null, bad);
  }
  t.is(tagHex(0x7fe00010), '7FE00010');
  t.is(tagHex(0x00080005), '00080005');
  t.is(childPath(itemPrefix('00540016', 2), 0x00181072), '00540016.2.00181072');
});

const elements: DataElement[] = [
  { tag: 0x00080060, vr: 'CS', value: 'PT' },
  {
    tag: 0x00540016,
    vr: 'SQ',
    value: [[{ tag: 0x00181072, vr: 'TM', value: '0800' }], [{ tag: 0x00181072, vr: 'TM', value: '0900' }, { tag: 0x00181074, vr: 'DS', value: 3 }]],
  },
  { tag: 0x00660023, vr: 'OW', value: new Uint8Array([1, 2, 3, 4]) },
];

for (const ts of ['explicit-le', 'implicit-le'] as const) {
  test(`${ts}: locateElement finds top-level and nested elements by path`, (t) => {
    const buf = encodeDataset(elements, ts);
    const syntax = ts === 'explicit-le' ? EXPLICIT_LE : IMPLICIT_LE;
    const at = (p: string) => {
      const el = locateElement(buf, 0, buf.length, syntax, parseTagPath(p)!);
      return el && buf.toString('latin1', el.header.valueOffset, el.header.valueOffset + el.header.length);
    };
    t.is(at('00080060'), 'PT');
    t.is(at('00540016.1.00181072'), '0900');
    t.is(at('00540016.0.00181072'), '0800');
    t.is(at('00540016.1.00181074'), '3 ');
    t.is(at('00660023'), '\x01\x02\x03\x04');
    t.is(at('00540016.2.00181072'), null, 'no third item');
    t.is(at('00540016.0.00181074'), null, 'not in the first item');
    t.is(at('00100010'), null);
  });
}
