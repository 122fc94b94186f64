/**
 * Value Representations for Implicit VR data sets (PS3.5 §7.1.3, Annex A.1): the encoding does
 * not carry VRs, so a reader takes them from the Data Dictionary (PS3.6 Table 6-1). We use
 * dcmjs's copy of PS3.6 (only src/dicom and src/seg touch dcmjs, DESIGN §2).
 */
import { createRequire } from 'node:module';

interface DictionaryEntry {
  vr?: string;
}

interface Dcmjs {
  data: { DicomMetaDictionary: { dictionary: Record<string, DictionaryEntry | undefined> } };
}

// dcmjs ships no type declarations; require() keeps tsc from needing them.
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;
const dictionary = dcmjs.data.DicomMetaDictionary.dictionary;

const cache = new Map<number, string>();

function key(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/**
 * The VR of `tag` as the dictionary gives it, or undefined when the tag is not in it. Ambiguous
 * entries come back as dcmjs writes them: "ox" (OB or OW), "xs" (US or SS), "lt" (US or OW);
 * `implicitVr` resolves them.
 */
export function dictionaryVr(tag: number): string | undefined {
  const hit = cache.get(tag);
  if (hit !== undefined) return hit === '' ? undefined : hit;
  let vr = dictionary[key(tag)]?.vr;
  const group = tag >>> 16;
  // Repeating groups (PS3.5 §7.6): overlays 60xx and curves 50xx are listed once, as 6000 / 5000.
  if (vr === undefined && (group & 0xff01) === 0x6000) vr = dictionary[key(((0x6000 << 16) | (tag & 0xffff)) >>> 0)]?.vr;
  if (vr === undefined && (group & 0xff01) === 0x5000) vr = dictionary[key(((0x5000 << 16) | (tag & 0xffff)) >>> 0)]?.vr;
  cache.set(tag, vr ?? '');
  return vr;
}

/**
 * The VR to decode an element of an Implicit VR Little Endian data set with (PS3.5 Annex A.1):
 * group lengths are UL; private creators (gggg,0010-00FF in odd groups) LO; other private and
 * unknown tags UN. "US or SS" follows Pixel Representation (0028,0103) when known (1 = signed);
 * "OB or OW" and "US or OW" are OW, as PS3.5 §A.1 requires for Pixel Data and LUT Data.
 */
export function implicitVr(tag: number, pixelRepresentation?: number): string {
  const element = tag & 0xffff;
  const group = tag >>> 16;
  if (element === 0x0000) return 'UL';
  if (group & 1) return element >= 0x0010 && element <= 0x00ff ? 'LO' : 'UN';
  const vr = dictionaryVr(tag);
  switch (vr) {
    case undefined:
    case 'na':
      return 'UN';
    case 'ox':
    case 'lt':
      return 'OW';
    case 'xs':
      return pixelRepresentation === 1 ? 'SS' : 'US';
    case 'up':
      return 'UL';
    default:
      return vr;
  }
}
