/**
 * Text decoding by Specific Character Set (0008,0005) (PS3.3 §C.12.1.1.2, PS3.5 §6.1). It applies
 * to the VRs SH, LO, UC, ST, LT, UT and PN (PS3.5 §6.1.2.3); every other string VR is plain ASCII.
 *
 * Supported: the default repertoire and ISO_IR 100 (Latin-1, also used as a lenient fallback for
 * bytes above 0x7F without a declared set), ISO_IR 192 (UTF-8), the other single-byte ISO 8859
 * parts, GB18030 / GBK, and ISO 2022 JIS X 0208 / 0212 escapes (Japanese PN). Other ISO 2022
 * code extensions decode with their first set.
 */
import { TextDecoder } from 'node:util';

export type TextDecoderFn = (bytes: Buffer, start: number, end: number) => string;

const latin1: TextDecoderFn = (b, s, e) => b.toString('latin1', s, e);
const utf8: TextDecoderFn = (b, s, e) => b.toString('utf8', s, e);

/** Defined Terms of PS3.3 Table C.12-2 / C.12-3 / C.12-4 → WHATWG encoding labels. */
const LABELS: Record<string, string> = {
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

const decoders = new Map<string, TextDecoderFn>([
  ['latin1', latin1],
  ['utf-8', utf8],
]);

function decoderFor(label: string): TextDecoderFn {
  let fn = decoders.get(label);
  if (!fn) {
    let td: TextDecoder;
    try {
      td = new TextDecoder(label);
    } catch {
      // An encoding this Node build lacks (small-icu): fall back to Latin-1.
      td = new TextDecoder('latin1');
    }
    fn = (b, s, e) => td.decode(b.subarray(s, e));
    decoders.set(label, fn);
  }
  return fn;
}

const ESC = 0x1b;

/**
 * A decoder for the value of Specific Character Set (backslash-separated defined terms, e.g.
 * "ISO_IR 192" or "\ISO 2022 IR 87"). Unknown terms decode as Latin-1.
 */
export function charsetDecoder(specificCharacterSet: string | undefined): TextDecoderFn {
  if (!specificCharacterSet) return latin1;
  const terms = specificCharacterSet.split('\\').map((t) => t.trim().replace(/^ISO 2022 /, 'ISO_').replace(/ /g, '_'));
  const first = terms[0] || 'ISO_IR_6';
  const base = first === 'ISO_IR_6' ? latin1 : decoderFor(LABELS[first] ?? 'latin1');
  // ISO 2022 JIS X 0208 (IR 87) / JIS X 0212 (IR 159): values switch sets with escape sequences.
  if (terms.some((t) => t === 'ISO_IR_87' || t === 'ISO_IR_159')) {
    const jis = decoderFor('iso-2022-jp');
    return (b, s, e) => (b.subarray(s, e).includes(ESC) ? jis(b, s, e) : base(b, s, e));
  }
  return base;
}
