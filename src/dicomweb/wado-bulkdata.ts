/**
 * WADO-RS Retrieve Bulk Data (PS3.18 §10.4, Bulkdata resources) at the BulkDataURIs the metadata gives out:
 * `.../instances/{sop}/bulkdata/{tagPath}` (scheme in src/dicom/tag-path.ts).
 *
 * - Pixel Data (7FE00010), native: the whole value as stored (for Bits Allocated 1, the frames
 *   packed across frame boundaries), streamed from the file.
 * - Pixel Data, encapsulated: one part per frame, each the frame's fragments concatenated, in the
 *   media type of the transfer syntax (as Retrieve Frames would send all frames).
 * - Any other attribute before Pixel Data, at any depth: its value bytes as encoded.
 * Answered as `multipart/related; type="application/octet-stream"` with one part, or single-part
 * `application/octet-stream` when the Accept asks for exactly that. Range is not supported: the
 * whole value is sent with 200.
 */
import { createReadStream } from 'node:fs';
import type { Archive } from '../archive/archive.js';
import { PIXEL_DATA } from '../dicom/element-reader.js';
import { formatMediaType } from '../dicom/media-type.js';
import { multipartStream, newBoundary, type MultipartOutPart } from '../dicom/multipart-write.js';
import { locateElement, parseTagPath } from '../dicom/tag-path.js';
import { describeSyntax } from '../dicom/transfer-syntax-names.js';
import { TS } from '../dicom/uids.js';
import { httpError } from '../http/errors.js';
import { negotiateOr406, type Negotiated } from './wado-accept.js';
import { instancesInScope } from './wado-instances.js';
import { frameReader, openPixels, partContentType, pixelRenditions } from './wado-pixels.js';
import { readInstance } from './wado-source.js';
import type { WadoResult, WadoScope } from './wado-types.js';

export async function retrieveBulkdata(archive: Archive, scope: Required<WadoScope>, tagPath: string, accept: string, _range?: string): Promise<WadoResult> {
  const steps = parseTagPath(tagPath);
  if (!steps) throw httpError('bad_request', `"${tagPath.slice(0, 80)}" is not a bulk data path (8-hex-digit tags and item indexes separated by dots, e.g. 7FE00010)`);
  const [row] = await instancesInScope(archive, scope);
  if (steps.length === 1 && steps[0]!.tag === PIXEL_DATA) return pixelData(archive, row!, accept);

  if (row!.transferSyntaxUid === TS.explicitBE) {
    throw httpError('not_acceptable', `this instance is stored as ${describeSyntax(row!.transferSyntaxUid)}; its bulk data is not served (retrieve the instance instead)`);
  }
  const { header } = await readInstance(archive, row!);
  const el = locateElement(header.data, header.start, header.data.length, header.syntax, steps);
  if (!el) throw httpError('not_found', `this instance has no attribute ${tagPath} (before Pixel Data)`);
  if (el.header.vr === 'SQ' || el.header.length < 0 || el.header.valueOffset + el.header.length > header.data.length) {
    throw httpError('bad_request', `${tagPath} is a sequence or encapsulated value, not bulk data`);
  }
  const value = header.data.subarray(el.header.valueOffset, el.header.valueOffset + el.header.length);
  const chosen = negotiateOr406(accept, [{ type: 'application/octet-stream', syntaxes: [TS.explicitLE, TS.implicitLE, TS.deflatedLE], bareOk: true }], 'bulk data is application/octet-stream', { singlePart: true });
  return onePart(chosen, value);
}

async function pixelData(archive: Archive, row: Parameters<typeof openPixels>[1], accept: string): Promise<WadoResult> {
  const src = await openPixels(archive, row);
  const frames = src.module.numberOfFrames;
  const chosen = negotiateOr406(accept, pixelRenditions(src), `Pixel Data is stored as ${describeSyntax(row.transferSyntaxUid)}`, { singlePart: src.native || frames === 1 });
  const px = src.module.pixelData;
  if (src.native) {
    const { valueOffset, length } = px;
    if (!src.inFile) return onePart(chosen, await src.readAt(valueOffset, length));
    const path = archive.blobs.pathOf(row.sha256);
    // Opened when the body is read, so an unread body leaves no file open.
    const body = async function* (): AsyncGenerator<Buffer> {
      if (length > 0) yield* createReadStream(path, { start: valueOffset, end: valueOffset + length - 1, highWaterMark: 256 * 1024 });
    };
    return onePart(chosen, body(), length);
  }
  const read = await frameReader(src);
  const type = partContentType(chosen.rendition);
  const first = await read(1);
  if (!chosen.multipart) return { contentType: type, body: first };
  const boundary = newBoundary();
  async function* parts(): AsyncGenerator<MultipartOutPart> {
    for (let n = 1; n <= frames; n++) {
      const body = n === 1 ? first : await read(n);
      yield { headers: { 'Content-Type': type, 'Content-Length': String(body.length) }, body };
    }
  }
  return { contentType: formatMediaType('multipart/related', { type: chosen.rendition.type, boundary }), body: multipartStream(parts(), boundary) };
}

function onePart(chosen: Negotiated, body: Buffer | AsyncIterable<Buffer>, length?: number): WadoResult {
  const type = partContentType(chosen.rendition);
  const size = Buffer.isBuffer(body) ? body.length : length!;
  if (!chosen.multipart) return { contentType: type, body, headers: { 'Content-Length': String(size) } };
  const boundary = newBoundary();
  return {
    contentType: formatMediaType('multipart/related', { type: chosen.rendition.type, boundary }),
    body: multipartStream([{ headers: { 'Content-Type': type, 'Content-Length': String(size) }, body }], boundary),
  };
}
