/**
 * Does an object whose encapsulated Pixel Data (undefined length, PS3.5 §A.4) runs to the end of
 * the received bytes really end there? Its last bytes must be the Sequence Delimitation Item, or
 * that delimiter followed only by whole elements that may come after Pixel Data — in practice Data
 * Set Trailing Padding (FFFC,FFFC), which PS3.10 §7.2 allows a file to carry (pydicom's public
 * MR_small_RLE.dcm has 126 bytes of it). Anything else means the transfer stopped inside the pixels.
 * Only the object's last bytes are needed (`TAIL_BYTES`), so a spilled object is not read again.
 */
import { readElementHeader, EXPLICIT_LE, PIXEL_DATA } from './element-reader.js';

/** How many of an object's last bytes the receiver keeps for this check. */
export const TAIL_BYTES = 4096;

const DELIMITER = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

export function encapsulatedEndsInTail(tail: Buffer): boolean {
  for (let at = tail.lastIndexOf(DELIMITER); at >= 0; at = at === 0 ? -1 : tail.lastIndexOf(DELIMITER, at - 1)) {
    if (onlyTrailingElements(tail, at + DELIMITER.length)) return true;
  }
  return false;
}

/** Whole Explicit VR Little Endian elements after Pixel Data from `pos` up to exactly the end. */
function onlyTrailingElements(buf: Buffer, pos: number): boolean {
  let p = pos;
  while (p < buf.length) {
    let el;
    try {
      el = readElementHeader(buf, p, buf.length, EXPLICIT_LE);
    } catch {
      return false; // not an element header: the delimiter bytes were inside a fragment
    }
    if (el === null || el.length < 0 || el.tag <= PIXEL_DATA || (el.tag >>> 16) === 0xfffe) return false;
    p = el.valueOffset + el.length;
  }
  return p === buf.length;
}
