/**
 * How an encapsulated Pixel Data must end (PS3.5 §A.4) for the receiver to call the object whole:
 * the Sequence Delimitation Item, optionally followed by Data Set Trailing Padding (PS3.10 §7.2).
 */
import test from 'ava';
import { encapsulatedEndsInTail } from '../../src/dicom/pixel-data-end.js';

const DELIM = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
const item = (bytes: Buffer) => Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), u32(bytes.length), bytes]);
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
/** (FFFC,FFFC) OB with `n` bytes of padding, Explicit VR Little Endian. */
const padding = (n: number) => Buffer.concat([Buffer.from([0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0]), u32(n), Buffer.alloc(n)]);
const fragments = Buffer.concat([item(Buffer.alloc(0)), item(Buffer.alloc(64, 0x5a))]);

test('the delimiter as the last bytes: whole', (t) => {
  t.true(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM])));
});

test('the delimiter then trailing padding (pydicom MR_small_RLE.dcm carries 126 bytes): whole', (t) => {
  t.true(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM, padding(126)])));
  t.true(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM, padding(0)])));
});

test('cut inside a fragment, or cut inside the padding: truncated', (t) => {
  t.false(encapsulatedEndsInTail(fragments.subarray(0, fragments.length - 5)));
  t.false(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM, padding(126)]).subarray(0, -10)));
});

test('delimiter bytes inside a fragment followed by more fragment bytes are not an end', (t) => {
  const tricky = item(Buffer.concat([Buffer.alloc(8, 1), DELIM, Buffer.alloc(10, 0x33)]));
  t.false(encapsulatedEndsInTail(Buffer.concat([item(Buffer.alloc(0)), tricky]).subarray(0, -2)));
  // Nor may an element after the delimiter be an item or a tag before Pixel Data.
  t.false(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM, item(Buffer.alloc(4))])));
  t.false(encapsulatedEndsInTail(Buffer.concat([fragments, DELIM, Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 2, 0, 0x31, 0])])));
});
