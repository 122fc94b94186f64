/**
 * WADO-RS content negotiation (PS3.18 §8.7.3): which of the renditions a resource can
 * be sent in the Accept header allows. The node never transcodes, so a rendition is always the
 * stored bytes, announced with their transfer syntax.
 *
 * A media range matches a rendition when
 * - it is a star range, or `multipart/related` whose `type` parameter is absent, a star range or
 *   the rendition's part type, or (where single-part responses exist) the part type itself; and
 * - its `transfer-syntax` parameter is `*`, one of the rendition's syntaxes, or absent where the
 *   rendition allows that (`bareOk`). Strictly, an absent parameter names the media type's
 *   default syntax (PS3.18 §8.7.3: Explicit VR Little Endian for application/dicom and
 *   application/octet-stream). We relax that for whole instances (sent as
 *   stored, since we do not transcode) and for native frames (the bytes are the same); an
 *   application/octet-stream range without the parameter never matches compressed frames.
 * Ranges are tried by weight, then in the client's order; q=0 ranges are skipped. An absent or
 * empty Accept takes the first rendition, as multipart.
 */
import { MediaTypeError, parseAccept, type MediaRange } from '../dicom/media-type.js';
import { httpError } from '../http/errors.js';

export interface Rendition {
  /** Media type of each part, e.g. `application/dicom`, `image/jpeg`. */
  type: string;
  /** Transfer syntaxes naming these bytes; the first is announced in the response. */
  syntaxes: string[];
  /** A range without a transfer-syntax parameter matches. */
  bareOk: boolean;
}

export interface Negotiated {
  rendition: Rendition;
  /** False when the client asked for the single-part media type itself. */
  multipart: boolean;
}

export function negotiate(accept: string | undefined, renditions: Rendition[], opts: { singlePart?: boolean } = {}): Negotiated | null {
  let ranges: MediaRange[];
  try {
    ranges = parseAccept(accept ?? '');
  } catch (err) {
    if (err instanceof MediaTypeError) throw httpError('bad_request', `invalid Accept header: ${err.message}`);
    throw err;
  }
  if (ranges.length === 0) return { rendition: renditions[0]!, multipart: true };
  for (const range of ranges) {
    if (range.q <= 0) continue;
    if (range.type === '*/*') return { rendition: renditions[0]!, multipart: true };
    if (range.type === 'multipart/related' || range.type === 'multipart/*') {
      const inner = range.params.type?.toLowerCase();
      const hit = renditions.find((r) => typeMatches(inner, r.type) && syntaxMatches(range.params['transfer-syntax'], r));
      if (hit) return { rendition: hit, multipart: true };
    } else if (opts.singlePart) {
      const hit = renditions.find((r) => typeMatches(range.type, r.type) && syntaxMatches(range.params['transfer-syntax'], r));
      if (hit) return { rendition: hit, multipart: false };
    }
  }
  return null;
}

function typeMatches(range: string | undefined, type: string): boolean {
  if (range === undefined || range === '*/*') return true;
  if (range.endsWith('/*')) return type.startsWith(range.slice(0, -1));
  return range === type;
}

function syntaxMatches(ts: string | undefined, r: Rendition): boolean {
  if (ts === undefined) return r.bareOk;
  return ts === '*' || r.syntaxes.includes(ts);
}

/** Negotiates or throws 406 naming what is stored (we do not transcode). */
export function negotiateOr406(accept: string | undefined, renditions: Rendition[], what: string, opts: { singlePart?: boolean } = {}): Negotiated {
  const n = negotiate(accept, renditions, opts);
  if (n) return n;
  const offered = renditions.map((r) => `multipart/related; type="${r.type}"; transfer-syntax=${r.syntaxes[0]}`).join(', or ');
  throw httpError('not_acceptable', `${what}; this node does not transcode (PS3.18 §8.7.3): ask for ${offered}, or transfer-syntax=*`);
}
