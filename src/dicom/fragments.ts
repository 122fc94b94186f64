/**
 * Lists the Basic Offset Table and the fragments of encapsulated Pixel Data (PS3.5 §A.4) by
 * reading only item headers through a random-access reader, so a frame of a large multi-frame
 * object is found without reading the pixels of the others. Encapsulated transfer syntaxes are
 * all little endian.
 */
import { DicomParseError, ITEM, SEQUENCE_DELIMITATION } from './element-reader.js';
import type { Fragment } from './frames.js';

/** Reads `length` bytes at `offset` (fewer at the end of the data). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

export interface EncapsulatedIndex {
  /** Basic Offset Table entries (empty when the table item is empty). */
  basicOffsets: number[];
  /** Offset of the first item tag after the Basic Offset Table. */
  firstItem: number;
  fragments: Fragment[];
}

const WINDOW = 64 * 1024;
const MAX_FRAGMENTS = 10_000_000;

/** Reads item headers through a window, so runs of small fragments cost one read. */
class Window {
  private base = 0;
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly readAt: ReadAt) {}

  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset < this.base || offset + length > this.base + this.buf.length) {
      this.base = offset;
      this.buf = await this.readAt(offset, Math.max(length, WINDOW));
    }
    return this.buf.subarray(offset - this.base, offset - this.base + length);
  }
}

function truncated(): DicomParseError {
  return new DicomParseError('encapsulated Pixel Data ends before its sequence delimiter', 'truncated');
}

/** `valueOffset` is where the Pixel Data value (its first item tag) starts. */
export async function indexEncapsulated(readAt: ReadAt, valueOffset: number, opts: { fragments?: boolean } = {}): Promise<EncapsulatedIndex> {
  const win = new Window(readAt);
  const header = async (pos: number): Promise<{ tag: number; length: number }> => {
    const b = await win.bytes(pos, 8);
    if (b.length < 8) throw truncated();
    return { tag: ((b.readUInt16LE(0) << 16) | b.readUInt16LE(2)) >>> 0, length: b.readUInt32LE(4) };
  };
  const bot = await header(valueOffset);
  if (bot.tag !== ITEM || bot.length === 0xffffffff) throw new DicomParseError('encapsulated Pixel Data does not start with the Basic Offset Table item', 'malformed');
  const basicOffsets: number[] = [];
  if (bot.length > 0) {
    const table = await readAt(valueOffset + 8, bot.length);
    if (table.length < bot.length) throw truncated();
    for (let p = 0; p + 4 <= table.length; p += 4) basicOffsets.push(table.readUInt32LE(p));
  }
  const firstItem = valueOffset + 8 + bot.length;
  const fragments: Fragment[] = [];
  if (opts.fragments === false) return { basicOffsets, firstItem, fragments };
  let pos = firstItem;
  for (;;) {
    const h = await header(pos);
    if (h.tag === SEQUENCE_DELIMITATION) break;
    if (h.tag !== ITEM || h.length === 0xffffffff) throw new DicomParseError(`expected a fragment item at byte ${pos}`, 'malformed');
    const head = h.length >= 2 ? (await win.bytes(pos + 8, 2)) : Buffer.alloc(0);
    fragments.push({ offset: pos + 8, length: h.length, itemOffset: pos - firstItem, head: head.length === 2 ? head.readUInt16BE(0) : -1 });
    if (fragments.length > MAX_FRAGMENTS) throw new DicomParseError('too many fragments', 'malformed');
    pos += 8 + h.length;
  }
  return { basicOffsets, firstItem, fragments };
}
