/**
 * Streaming multipart/related writer (RFC 2046 §5.1.1, RFC 2387) for WADO-RS responses
 * (PS3.18 §8.7.3.5 "multipart/related"). Parts are pulled one at a time and bodies chunk by chunk,
 * so a response of many instances is never assembled in memory; wrap the generator in
 * `Readable.from(...)` to send it with backpressure.
 */
import { randomBytes } from 'node:crypto';

// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface MultipartOutPart {
  /** Written in the order given; names and values must not contain CR or LF. */
  headers: Record<string, string>;
  body: Buffer | AsyncIterable<Buffer>;
}

/**
 * A fresh boundary: 128 random bits in hex, so it cannot plausibly occur in any part (RFC 2046
 * §5.1.1 leaves that to the sender), and only token characters, so it needs no quoting in
 * Content-Type.
 */
export function newBoundary(): string {
  return `dafne-${randomBytes(16).toString('hex')}`;
}

/**
 * Encode parts as a multipart body: `--b CRLF headers CRLF body` for each part, each later one
 * preceded by CRLF, and `CRLF --b-- CRLF` at the end. Zero parts give just the close delimiter.
 */
export async function* multipartStream(
  parts: AsyncIterable<MultipartOutPart> | Iterable<MultipartOutPart>,
  boundary: string,
): AsyncGenerator<Buffer, void, undefined> {
  if (!BOUNDARY.test(boundary)) throw new TypeError(`invalid multipart boundary "${boundary}"`);
  let first = true;
  for await (const part of parts) {
    // The CRLF that ends a part's content belongs to the next delimiter, so it goes out with it.
    yield Buffer.from(`${first ? '' : '\r\n'}--${boundary}\r\n${headerBlock(part.headers)}\r\n`, 'latin1');
    first = false;
    if (Buffer.isBuffer(part.body)) {
      if (part.body.length > 0) yield part.body;
    } else {
      for await (const chunk of part.body) if (chunk.length > 0) yield chunk;
    }
  }
  yield Buffer.from(`${first ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1');
}

function headerBlock(headers: Record<string, string>): string {
  let out = '';
  for (const [name, value] of Object.entries(headers)) {
    // A CR or LF here would let a value inject fields or end the header block early.
    if (!FIELD_NAME.test(name)) throw new TypeError(`invalid part header name "${name}"`);
    if (/[\r\n\0]|[^\u0000-\u00ff]/.test(value)) throw new TypeError(`invalid value for part header ${name}`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}
