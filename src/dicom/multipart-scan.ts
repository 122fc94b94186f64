/**
 * The byte-level half of the multipart/related reader (RFC 2046 §5.1.1): a pull-based source
 * buffer and the scanner that finds the next delimiter line. `multipart.ts` builds parts on top.
 *
 * Memory stays bounded because bytes are pulled from the input only when the consumer asks for
 * more and are handed on as `subarray` views of the input chunks: at most one input chunk plus a
 * delimiter-sized tail is held here at any time, whatever the size of a part.
 */

export type MultipartErrorCode =
  | 'invalid-boundary'
  | 'no-boundary-found'
  | 'truncated'
  | 'header-too-large'
  | 'malformed-header';

export class MultipartError extends Error {
  override name = 'MultipartError';
  constructor(
    readonly code: MultipartErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SP = 0x20;
const HTAB = 0x09;
/**
 * RFC 2046 §5.1.1 allows transport padding (LWSP) after a boundary but sets no limit; we look this
 * far for the CRLF and otherwise treat the line as content, so a hostile body cannot make us buffer.
 */
const MAX_PADDING = 1024;

/** The input, pulled one chunk at a time; `buf` holds the bytes not yet consumed. */
export class Source {
  buf: Buffer = EMPTY;
  /** Bytes pulled so far, to tell an empty body from one without a delimiter. */
  received = 0;
  private done = false;
  private closed = false;
  private failure: Error | undefined;
  private readonly it: AsyncIterator<Buffer | Uint8Array>;

  constructor(input: AsyncIterable<Buffer | Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }

  /** Append the next input chunk to `buf`; false at the end of the input. */
  async pull(): Promise<boolean> {
    if (this.closed) throw new Error('the multipart reader was closed before this part was read');
    if (this.failure) throw this.failure;
    if (this.done) return false;
    let next: IteratorResult<Buffer | Uint8Array>;
    try {
      next = await this.it.next();
    } catch (cause) {
      // A client disconnect surfaces as an input error (ECONNRESET "aborted"): for the consumer it
      // is the same as a body that stops early, so it gets the same code.
      this.done = true;
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.failure = new MultipartError('truncated', `reading the body failed: ${reason}`, { cause });
      throw this.failure;
    }
    if (next.done) {
      this.done = true;
      return false;
    }
    const value = next.value;
    if (!(value instanceof Uint8Array)) throw new TypeError('multipart input must yield Buffers');
    const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
    this.received += chunk.length;
    // Copying happens only when a partial delimiter (or an unfinished header block) was left over.
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  consume(n: number): void {
    // Drop the reference to the chunk as soon as it is used up, so it can be collected.
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
  }

  /** Discard the rest of the input (the epilogue), so an HTTP request is read to its end. */
  async drain(): Promise<void> {
    this.buf = EMPTY;
    while (await this.pull()) this.buf = EMPTY;
  }

  /** Release the input early (the consumer stopped iterating, or an error was thrown). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buf = EMPTY;
    if (!this.done) {
      this.done = true;
      try {
        await this.it.return?.();
      } catch {
        // The input is being abandoned; an error from closing it must not hide the one that
        // made us stop.
      }
    }
  }
}

/** What follows a delimiter: another part, or the close delimiter (RFC 2046 §5.1.1). */
export type SegmentEnd = 'part' | 'close';

/**
 * The bytes from the current position to the next delimiter line: the preamble, or a part's body.
 *
 * Every delimiter is searched as CRLF "--" boundary. The CRLF that precedes it belongs to the
 * delimiter, not to the content (RFC 2046 §5.1.1), so it is never handed out as content.
 * `lead` bytes at the start of `buf` are a CRLF that is not content but may begin the delimiter:
 * the blank line ending a part's header block (so a part with no body, `headers CRLF CRLF
 * --boundary`, is recognised), or the CRLF we put before the body so the first boundary needs no
 * special case.
 */
export class Segment {
  /** Set once the delimiter ending this segment has been read. */
  end: SegmentEnd | undefined;
  private reading = false;
  /** Kept so that the consumer and the reader moving on to the next part see the same error. */
  private failure: unknown;

  /** Content bytes still expected when the part declared its Content-Length. */
  private remaining: number | undefined;

  constructor(
    private readonly src: Source,
    private readonly delimiter: Buffer,
    private readonly atEof: () => MultipartError,
    private lead: number,
    contentLength?: number,
  ) {
    this.remaining = contentLength;
  }

  /** The next slice of content, or null once the delimiter has been reached. */
  async read(): Promise<Buffer | null> {
    if (this.end) return null;
    if (this.failure !== undefined) throw this.failure;
    if (this.reading) throw new Error('a multipart part body is being read twice at the same time');
    this.reading = true;
    try {
      return await this.readContent();
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.reading = false;
    }
  }

  /** Read and discard the rest of this segment. */
  async skip(): Promise<void> {
    while ((await this.read()) !== null);
  }

  private async readContent(): Promise<Buffer | null> {
    if (this.remaining !== undefined) return this.readCounted();
    const { src, delimiter } = this;
    for (;;) {
      const idx = src.buf.indexOf(delimiter);
      if (idx !== -1) {
        const line = await this.delimiterLine(idx + delimiter.length);
        if (line) {
          const content = this.take(idx);
          src.consume(line.next - idx);
          this.end = line.end;
          return content.length > 0 ? content : null;
        }
        // "--boundary" followed by something else is not a delimiter line: it is content.
        const content = this.take(idx + 1);
        if (content.length > 0) return content;
        continue;
      }
      // No whole delimiter: all is content except a tail that may be the start of one.
      const content = this.take(src.buf.length - partialMatch(src.buf, delimiter));
      if (content.length > 0) return content;
      if (!(await src.pull())) throw this.atEof();
    }
  }

  /**
   * A part that declared its Content-Length: hand out exactly that many bytes without searching
   * them (a large part is then never scanned), and require the delimiter right after. The boundary
   * stays authoritative (RFC 2046 §5.1.1): a length that does not end at a delimiter is an error,
   * not something to guess around.
   */
  private async readCounted(): Promise<Buffer | null> {
    const { src, delimiter } = this;
    for (;;) {
      const available = src.buf.length - this.lead;
      if (this.remaining! > 0) {
        if (available > 0) {
          const n = Math.min(available, this.remaining!);
          this.remaining! -= n;
          return this.take(this.lead + n);
        }
      } else if (src.buf.length >= this.lead + delimiter.length) {
        // The delimiter follows the content; for an empty body written without the separating
        // CRLF ("headers CRLF CRLF --boundary") the header block's CRLF doubles as its CRLF.
        for (const at of this.lead > 0 ? [this.lead, 0] : [0]) {
          if (src.buf.compare(delimiter, 0, delimiter.length, at, at + delimiter.length) !== 0) continue;
          const line = await this.delimiterLine(at + delimiter.length);
          if (!line) continue;
          src.consume(line.next);
          this.lead = 0;
          this.end = line.end;
          return null;
        }
        throw new MultipartError('malformed-header', "a part's Content-Length does not end at a boundary delimiter");
      }
      if (!(await src.pull())) throw this.atEof();
    }
  }

  /** Consume the first n bytes of the buffer and return those that are content. */
  private take(n: number): Buffer {
    const content = this.src.buf.subarray(Math.min(this.lead, n), n);
    this.lead = Math.max(0, this.lead - n);
    this.src.consume(n);
    return content;
  }

  /**
   * After CRLF "--" boundary at `at`: "--" makes it the close delimiter; transport padding then
   * CRLF makes it a delimiter line. Returns where the next segment starts, or null if this is not
   * a delimiter after all. Pulls more input when the answer needs more bytes.
   */
  private async delimiterLine(at: number): Promise<{ end: SegmentEnd; next: number } | null> {
    for (;;) {
      const buf = this.src.buf;
      if (buf.length > at && buf[at] === DASH) {
        if (buf.length > at + 1) return buf[at + 1] === DASH ? { end: 'close', next: at + 2 } : null;
      } else {
        let k = at;
        while (k < buf.length && (buf[k] === SP || buf[k] === HTAB)) k++;
        if (k - at > MAX_PADDING) return null;
        if (k < buf.length && buf[k] !== CR) return null;
        if (k + 1 < buf.length) return buf[k + 1] === LF ? { end: 'part', next: k + 2 } : null;
      }
      if (!(await this.src.pull())) {
        throw new MultipartError('truncated', 'the body ends inside a boundary delimiter line');
      }
    }
  }
}

/**
 * Length of the longest tail of `buf` that is a proper prefix of `delimiter`: those bytes may be
 * the start of a delimiter completed by the next chunk, so they cannot be handed out yet.
 */
function partialMatch(buf: Buffer, delimiter: Buffer): number {
  const len = buf.length;
  // The delimiter starts with CR, so only a CR in the last (delimiter length - 1) bytes qualifies.
  for (let p = buf.indexOf(CR, Math.max(0, len - delimiter.length + 1)); p !== -1; p = buf.indexOf(CR, p + 1)) {
    if (buf.compare(delimiter, 0, len - p, p, len) === 0) return len - p;
  }
  return 0;
}
