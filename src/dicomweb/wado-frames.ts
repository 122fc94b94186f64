/**
 * WADO-RS Retrieve Frames (PS3.18 §10.4, Frames resources): `.../frames/{frameList}`, a comma-separated list
 * of 1-based frame numbers, answered with one part per listed frame, in the order listed
 * (PS3.18 §8.7.3, multipart/related). A single frame may also be asked for as the bare part media type, which
 * gets a single-part answer.
 */
import type { Archive } from '../archive/archive.js';
import { describeSyntax } from '../dicom/transfer-syntax-names.js';
import { multipartStream, newBoundary, type MultipartOutPart } from '../dicom/multipart-write.js';
import { formatMediaType } from '../dicom/media-type.js';
import { httpError } from '../http/errors.js';
import { negotiateOr406 } from './wado-accept.js';
import { instancesInScope } from './wado-instances.js';
import { frameReader, openPixels, partContentType, pixelRenditions } from './wado-pixels.js';
import type { WadoResult, WadoScope } from './wado-types.js';

/** More frame numbers than this in one request is refused (the list is in the URL anyway). */
const MAX_FRAMES = 100_000;

/** Parses "1,3,5": positive integers, or 400. */
export function parseFrameList(frames: string): number[] {
  const items = frames.split(',');
  if (items.length > MAX_FRAMES) throw httpError('bad_request', `at most ${MAX_FRAMES} frames per request`);
  return items.map((s) => {
    const t = s.trim();
    if (!/^[0-9]{1,9}$/.test(t) || Number(t) < 1) {
      throw httpError('bad_request', `frame numbers are integers from 1 (PS3.18 §10.4, Frames resources), not "${t.slice(0, 20)}"`);
    }
    return Number(t);
  });
}

export async function retrieveFrames(archive: Archive, scope: Required<WadoScope>, frames: string, accept: string): Promise<WadoResult> {
  const numbers = parseFrameList(frames);
  const [row] = await instancesInScope(archive, scope);
  const src = await openPixels(archive, row!);
  const count = src.module.numberOfFrames;
  const beyond = numbers.find((n) => n > count);
  if (beyond !== undefined) throw httpError('not_found', `frame ${beyond} does not exist: this instance has ${count} frame${count === 1 ? '' : 's'}`);
  const { rendition, multipart } = negotiateOr406(accept, pixelRenditions(src), `the frames are stored as ${describeSyntax(row!.transferSyntaxUid)}`, { singlePart: numbers.length === 1 });
  const read = await frameReader(src);
  const type = partContentType(rendition);
  // The first frame is read before answering, so a damaged file still gets an error status.
  const first = await read(numbers[0]!);
  if (!multipart) return { contentType: type, body: first };
  const boundary = newBoundary();
  async function* parts(): AsyncGenerator<MultipartOutPart> {
    for (let i = 0; i < numbers.length; i++) {
      const body = i === 0 ? first : await read(numbers[i]!);
      yield { headers: { 'Content-Type': type, 'Content-Length': String(body.length) }, body };
    }
  }
  return {
    contentType: formatMediaType('multipart/related', { type: rendition.type, boundary }),
    body: multipartStream(parts(), boundary),
  };
}
