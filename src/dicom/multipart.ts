/**
 * Streaming multipart/related reader (RFC 2046 §5.1, RFC 2387), as used for STOW-RS request
 * bodies (PS3.18 §8.6.1.1); the writer for WADO-RS responses is in multipart-write.ts.
 *
 *   for await (const part of readMultipart(chunks, boundary)) {
 *     for await (const bytes of part.body) await write(bytes);   // or: await part.skip()
 *   }
 *
 * Neither a body nor a part is ever held whole: input is pulled only as the consumer pulls part
 * bytes, so a slow consumer slows the reading of the socket (backpressure) and memory stays near
 * one input chunk. A part's Content-Length, when present, spares searching its body for the
 * delimiter, which must then follow exactly (RFC 2046 §5.1.1 keeps the delimiter authoritative).
 */
import { MultipartError, Segment, Source } from './multipart-scan.js';

export { MultipartError, type MultipartErrorCode } from './multipart-scan.js';
export { multipartStream, newBoundary } from './multipart-write.js';

export interface MultipartPart {
  /** Part header fields, names lowercased; a repeated field's values are joined with ", ". */
  readonly headers: Record<string, string>;
  /**
   * The part's content, as views into the input chunks (not copies). A second loop goes on where
   * the first stopped. Throws MultipartError 'truncated' if the input ends before the part's
   * delimiter (a truncated upload or a client disconnect): the part must then be discarded.
   */
  readonly body: AsyncIterable<Buffer>;
  /** Discard whatever is left of the body (moving on to the next part does this too). */
  skip(): Promise<void>;
}

export interface ReadMultipartOptions {
  /** Largest header block accepted in one part, in bytes (default 16 KiB). */
  maxHeaderBytes?: number;
}

const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Yield the parts of a multipart body one at a time. Asking for the next part first reads (and
 * discards) whatever the consumer left of the previous part's body. The preamble and epilogue are
 * discarded; the input is read to its end after the close delimiter, so an HTTP request body is
 * fully consumed.
 *
 * Stopping early (break, or an error thrown here) calls `return()` on the input's iterator. For a
 * Node IncomingMessage that destroys the request stream (a response can still be sent); pass
 * `req.iterator({ destroyOnReturn: false })` to leave the request to Node's HTTP server instead.
 */
export async function* readMultipart(
  input: AsyncIterable<Buffer | Uint8Array>,
  boundary: string,
  opts: ReadMultipartOptions = {},
): AsyncGenerator<MultipartPart, void, undefined> {
  const delimiter = delimiterFor(boundary);
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 0) {
    throw new TypeError(`maxHeaderBytes must be a non-negative integer, not ${maxHeaderBytes}`);
  }
  const src = new Source(input);
  // The first boundary may open the body with no CRLF before it (RFC 2046 §5.1.1: the CRLF before
  // it ends the preamble). A CRLF put in front lets one search find every delimiter.
  src.buf = CRLF;
  try {
    const preamble = new Segment(src, delimiter, () => noBoundary(src, boundary), 2);
    await preamble.skip();
    let end = preamble.end;
    while (end === 'part') {
      const headers = await readHeaders(src, maxHeaderBytes);
      // readHeaders leaves the CRLF of the blank line: it may begin the delimiter of an empty part.
      // A declared Content-Length lets the body be handed out without searching it.
      const declared = headers['content-length'];
      const length = declared !== undefined && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
      const body = new Segment(src, delimiter, truncated, 2, length);
      yield new Part(headers, body);
      await body.skip();
      end = body.end;
    }
    await src.drain();
  } finally {
    await src.close();
  }
}

class Part implements MultipartPart {
  readonly body: AsyncIterable<Buffer>;

  constructor(
    readonly headers: Record<string, string>,
    private readonly segment: Segment,
  ) {
    this.body = {
      [Symbol.asyncIterator]: (): AsyncIterator<Buffer> => ({
        next: async () => {
          const value = await segment.read();
          return value === null ? { done: true, value: undefined } : { done: false, value };
        },
        // Breaking out of the loop needs no work here: the next part drains the rest.
        return: async () => ({ done: true, value: undefined }),
      }),
    };
  }

  skip(): Promise<void> {
    return this.segment.skip();
  }
}

// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace. We accept any printable ASCII (some
// clients stray outside bchars) and up to 200 characters, but never CR, LF or an empty boundary.
function delimiterFor(boundary: string): Buffer {
  if (!/^[\x20-\x7e]{1,200}$/.test(boundary)) {
    throw new MultipartError('invalid-boundary', `invalid multipart boundary "${boundary}"`);
  }
  return Buffer.from(`\r\n--${boundary}`, 'latin1');
}

function noBoundary(src: Source, boundary: string): MultipartError {
  const what = src.received === 0 ? 'the body is empty' : `no boundary "--${boundary}" in the body`;
  return new MultipartError('no-boundary-found', what);
}

function truncated(): MultipartError {
  return new MultipartError('truncated', 'the body ends before the closing boundary delimiter');
}

/**
 * Read one part's header block (RFC 2046 §5.1.1 MIME-part-headers, RFC 5322 §2.2 fields), up to and
 * including the first CRLF of the blank line that ends it. A part may have no header fields at
 * all, in which case it starts with the blank line.
 */
async function readHeaders(src: Source, max: number): Promise<Record<string, string>> {
  let from = 0;
  for (;;) {
    const buf = src.buf;
    if (buf.length >= 2 && buf[0] === CRLF[0] && buf[1] === CRLF[1]) return {};
    const idx = buf.indexOf(HEADER_END, from);
    if (idx > max || (idx === -1 && buf.length - 3 > max)) {
      throw new MultipartError('header-too-large', `part headers are larger than ${max} bytes`);
    }
    if (idx !== -1) {
      const headers = parseHeaderBlock(buf.toString('latin1', 0, idx));
      src.consume(idx + 2);
      return headers;
    }
    from = Math.max(0, buf.length - 3);
    if (!(await src.pull())) throw truncated();
  }
}

// Latin-1 keeps every byte as one character, as Node does for HTTP header values.
function parseHeaderBlock(block: string): Record<string, string> {
  // A Map, then fromEntries: a field named "__proto__" must stay a plain field.
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split('\r\n')) {
    if (/[\r\n\0]/.test(line)) throw malformed('a header line contains CR, LF or NUL');
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Obsolete line folding (RFC 5322 §2.2.3): the line continues the previous field.
      if (last === undefined) throw malformed('the header block starts with a continuation line');
      const before = headers.get(last) ?? '';
      headers.set(last, before === '' ? trimOws(line) : `${before} ${trimOws(line)}`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    // No space before the colon (RFC 9110 §5.1): " name :" has been used to smuggle fields.
    if (!TOKEN.test(name)) throw malformed(`bad header line "${line.slice(0, 80)}"`);
    const key = name.toLowerCase();
    const value = trimOws(line.slice(colon + 1));
    const before = headers.get(key);
    headers.set(key, before === undefined ? value : `${before}, ${value}`);
    last = key;
  }
  return Object.fromEntries(headers);
}

// OWS is space and tab only (RFC 9110 §5.6.3); String.trim would also eat Latin-1 NBSP.
function trimOws(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

function malformed(message: string): MultipartError {
  return new MultipartError('malformed-header', message);
}
