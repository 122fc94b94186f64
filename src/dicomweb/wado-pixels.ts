/**
 * Pixel Data of a stored instance for WADO-RS frames and bulk data (PS3.18 §10.4):
 * the layout, the renditions it can be sent in, and a reader for frame k. Frames are sent as
 * stored: native frames as `application/octet-stream` (bytes of Implicit and Explicit VR Little
 * Endian are the same, announced as Explicit VR Little Endian, the media type's default,
 * PS3.18 §8.7.3); compressed frames as the media type of their transfer syntax.
 * Explicit VR Big Endian (retired) is refused with 406 rather than byte-swapped.
 */
import type { Archive } from '../archive/archive.js';
import type { StoredInstance } from '../archive/index-queries.js';
import { DicomParseError } from '../dicom/element-reader.js';
import { indexEncapsulated, type ReadAt } from '../dicom/fragments.js';
import { frameBytes, frameMediaType, FrameLayoutError, groupFragments, nativeFrameRange, type Fragment } from '../dicom/frames.js';
import { formatMediaType } from '../dicom/media-type.js';
import { readPixelModule, type PixelModule } from '../dicom/pixel-module.js';
import { describeSyntax } from '../dicom/transfer-syntax-names.js';
import { isNativeTransferSyntax, TS } from '../dicom/uids.js';
import { httpError } from '../http/errors.js';
import type { Rendition } from './wado-accept.js';
import { readInstance } from './wado-source.js';

export interface PixelSource {
  row: StoredInstance;
  module: PixelModule;
  native: boolean;
  readAt: ReadAt;
  /** For native data in the stored file: the file offset of the Pixel Data value. */
  inFile: boolean;
}

const RLE = '1.2.840.10008.1.2.5';

/** Opens the Pixel Data of `row`, or throws 404 (none) / 406 (big endian, video). */
export async function openPixels(archive: Archive, row: StoredInstance): Promise<PixelSource> {
  const ts = row.transferSyntaxUid;
  if (ts === TS.explicitBE) {
    throw httpError('not_acceptable', `this instance is stored as ${describeSyntax(ts)}; its frames and bulk data are not served (retrieve the instance instead)`);
  }
  if (row.pixelDataOffset === null && ts !== TS.deflatedLE) throw httpError('not_found', 'this instance has no Pixel Data');
  const { header, readAt } = await readInstance(archive, row);
  const module = readPixelModule(header.data, header.start, header.data.length, header.syntax);
  if (!module) throw httpError('not_found', 'this instance has no Pixel Data');
  const native = isNativeTransferSyntax(ts);
  if (native && module.pixelData.length < 0) throw new DicomParseError('native Pixel Data with undefined length', 'malformed');
  if (!native && frameMediaType(ts) === undefined) {
    throw httpError('not_acceptable', `this instance is stored as ${describeSyntax(ts)}, a video stream: it has no separate frames (retrieve the instance instead)`);
  }
  return { row, module, native, readAt, inFile: header.inFile };
}

/** What the pixels can be sent as, preferred first. */
export function pixelRenditions(src: PixelSource): Rendition[] {
  const ts = src.row.transferSyntaxUid;
  if (src.native) return [{ type: 'application/octet-stream', syntaxes: [TS.explicitLE, TS.implicitLE, TS.deflatedLE], bareOk: true }];
  const natural = frameMediaType(ts)!;
  // application/octet-stream without transfer-syntax means uncompressed: only with "*" or the stored one.
  const octet: Rendition = { type: 'application/octet-stream', syntaxes: [ts], bareOk: false };
  if (ts === RLE) return [octet, { type: natural, syntaxes: [ts], bareOk: true }];
  if (natural === 'application/octet-stream') return [octet];
  return [{ type: natural, syntaxes: [ts], bareOk: true }, octet];
}

/** Content-Type of a part: the rendition's media type with the transfer syntax of the bytes. */
export function partContentType(r: Rendition): string {
  return formatMediaType(r.type, { 'transfer-syntax': r.syntaxes[0]! });
}

/** A reader of 1-based frames (numbers already checked against Number of Frames). */
export async function frameReader(src: PixelSource): Promise<(frame: number) => Promise<Buffer>> {
  const px = src.module.pixelData;
  if (src.native) {
    return async (frame) => {
      const range = nativeFrameRange(src.module, frame);
      if (range.byteStart + range.byteLength > px.length) {
        throw httpError('not_found', `frame ${frame} is not in the stored Pixel Data (the value is shorter than Number of Frames says)`);
      }
      const raw = await src.readAt(px.valueOffset + range.byteStart, range.byteLength);
      if (raw.length < range.byteLength) throw new DicomParseError('stored file ends inside Pixel Data', 'truncated');
      return frameBytes(raw, range);
    };
  }
  const eot = src.module.extendedOffsets;
  if (eot) {
    // Extended Offset Table (PS3.5 §A.4): each frame is one fragment; offsets are to its item tag.
    const { firstItem } = await indexEncapsulated(src.readAt, px.valueOffset, { fragments: false });
    return (frame) => readFragments(src.readAt, [{ offset: firstItem + eot.offsets[frame - 1]! + 8, length: eot.lengths[frame - 1]!, itemOffset: 0, head: -1 }]);
  }
  const index = await indexEncapsulated(src.readAt, px.valueOffset);
  let frames: Fragment[][];
  try {
    frames = groupFragments(index.fragments, index.basicOffsets, src.module.numberOfFrames, src.row.transferSyntaxUid);
  } catch (err) {
    if (err instanceof FrameLayoutError) throw httpError('not_acceptable', `${err.message}; retrieve the instance instead`);
    throw err;
  }
  return (frame) => readFragments(src.readAt, frames[frame - 1]!);
}

/** A compressed frame: its fragments' values, concatenated (PS3.5 §A.4). */
async function readFragments(readAt: ReadAt, fragments: Fragment[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const f of fragments) {
    const b = await readAt(f.offset, f.length);
    if (b.length < f.length) throw new DicomParseError('stored file ends inside a fragment', 'truncated');
    parts.push(b);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
