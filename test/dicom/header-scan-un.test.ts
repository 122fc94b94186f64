/**
 * An undefined-length UN element in an explicit syntax holds a sequence in Implicit VR Little
 * Endian (PS3.5 §6.2.2, CP-246): a private sequence re-encoded by an archive that did not know it
 * (pydicom's UN_sequence.dcm). The header scan must walk over it and read what follows.
 */
import test from 'ava';
import { scanPart10, NEED_MORE } from '../../src/dicom/header-scan.js';

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const tag = (g: number, e: number) => Buffer.concat([u16(g), u16(e)]);
/** Explicit VR Little Endian element with a short (2-byte) length. */
const short = (g: number, e: number, vr: string, value: string) => {
  const v = Buffer.from(value.length % 2 ? `${value}\0` : value, 'latin1');
  return Buffer.concat([tag(g, e), Buffer.from(vr, 'latin1'), u16(v.length), v]);
};
/** Implicit VR Little Endian element. */
const implicit = (g: number, e: number, value: string) => {
  const v = Buffer.from(value.length % 2 ? `${value} ` : value, 'latin1');
  return Buffer.concat([tag(g, e), u32(v.length), v]);
};
const UNDEFINED = 0xffffffff;

function file(): Buffer {
  const meta = short(0x0002, 0x0010, 'UI', '1.2.840.10008.1.2.1');
  const un = Buffer.concat([
    tag(0x0009, 0x1001), Buffer.from('UN', 'latin1'), u16(0), u32(UNDEFINED),
    tag(0xfffe, 0xe000), u32(UNDEFINED),
    // Inside: implicit VR. Read as explicit, "AB" would not be taken for a VR but (0010,0010)'s
    // length bytes would: the scan would go astray.
    implicit(0x0010, 0x0010, 'Private^Name'),
    tag(0xfffe, 0xe00d), u32(0),
    tag(0xfffe, 0xe0dd), u32(0),
  ]);
  const ds = Buffer.concat([short(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.4'), short(0x0008, 0x0018, 'UI', '1.2.3.4'), short(0x0009, 0x0010, 'LO', 'PRIVATE'), un, short(0x0020, 0x000d, 'UI', '1.2.3.5')]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), meta, ds]);
}

test('the scan walks over an undefined-length UN as Implicit VR and reads the element after it', (t) => {
  const h = scanPart10(file(), true, new Set([0x00080018, 0x0020000d]));
  if (h === NEED_MORE) return t.fail('the whole file was given');
  t.is(h.values.get(0x00080018), '1.2.3.4');
  t.is(h.values.get(0x0020000d), '1.2.3.5');
  t.true(h.complete);
});
