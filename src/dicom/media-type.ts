/**
 * Media type parsing for Content-Type and Accept header values.
 *
 * Grammar: RFC 9110 §8.3.1 (media-type), §5.6.2 (token), §5.6.4 (quoted-string), §5.6.6
 * (parameters), §12.5.1 (Accept, weight). DICOMweb uses these headers for STOW-RS request bodies
 * (PS3.18 §8.6, `multipart/related; type="application/dicom"; boundary=...`) and WADO-RS content
 * negotiation (PS3.18 §8.7.3, e.g. `multipart/related; type="application/dicom"; transfer-syntax=*`).
 *
 * Deliberate leniency, because real DICOMweb clients send it:
 *  - an unquoted parameter value may contain characters that are not `tchar`, such as `/` in
 *    `type=application/dicom` or `=`, `:` in a boundary (RFC 2046 §5.1.1 allows those in a boundary);
 *    it ends at `;`, whitespace, or (in an Accept list only) `,`.
 *  - whitespace around `=` is accepted (RFC 9110 §5.6.6 forbids it, some clients emit it).
 * Everything else that does not fit the grammar throws MediaTypeError.
 */

export class MediaTypeError extends Error {
  override name = 'MediaTypeError';
}

export interface MediaType {
  /** `type/subtype`, lowercased (RFC 9110 §8.3.1: case-insensitive). */
  type: string;
  /** Parameter names lowercased (case-insensitive); values unquoted, escapes resolved, case kept. */
  params: Record<string, string>;
}

export interface MediaRange extends MediaType {
  /** Weight from `q=` (RFC 9110 §12.4.2), 1 when absent; 0 means "not acceptable". */
  q: number;
}

// tchar, RFC 9110 §5.6.2.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// qvalue, RFC 9110 §12.4.2.
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** Parse one Content-Type value, e.g. `multipart/related; type="application/dicom"; boundary=x`. */
export function parseMediaType(value: string): MediaType {
  const scanner = new Scanner(value, false);
  scanner.skipOws();
  const { type, params } = scanner.mediaType();
  scanner.skipOws();
  if (!scanner.atEnd()) scanner.fail('unexpected character');
  return { type, params: Object.fromEntries(params) };
}

/**
 * Parse an Accept value into media ranges sorted by q, highest first. The sort is stable, so
 * ranges of equal weight keep the client's order (the tie-break a server may apply, RFC 9110
 * §12.5.1). Ranges with q=0 are kept so callers can see what was refused explicitly. An empty or
 * blank value gives an empty list (the caller decides whether that means "anything").
 */
export function parseAccept(value: string): MediaRange[] {
  const scanner = new Scanner(value, true);
  const ranges: MediaRange[] = [];
  for (;;) {
    // #rule (RFC 9110 §5.6.1): empty list elements are allowed and ignored.
    scanner.skipOws();
    if (scanner.atEnd()) break;
    if (scanner.peek() === ',') {
      scanner.pos++;
      continue;
    }
    const { type, params } = scanner.mediaType();
    ranges.push(withWeight(type, params));
    scanner.skipOws();
    if (scanner.atEnd()) break;
    if (scanner.peek() !== ',') scanner.fail('expected "," between media ranges');
    scanner.pos++;
  }
  return ranges.sort((a, b) => b.q - a.q);
}

/**
 * Format a media type for a response header, quoting a value only when it is not a token
 * (RFC 9110 §5.6.6), e.g. `formatMediaType('multipart/related', { type: 'application/dicom',
 * boundary })`.
 */
export function formatMediaType(type: string, params: Record<string, string> = {}): string {
  let out = type;
  for (const [name, val] of Object.entries(params)) {
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(val) || /[^\u0000-\u00ff]/.test(val)) {
      throw new MediaTypeError(`parameter ${name} has a character that cannot be sent in a header`);
    }
    const isToken = val.length > 0 && [...val].every((c) => TCHAR.test(c));
    out += `; ${name}=${isToken ? val : `"${val.replace(/["\\]/g, '\\$&')}"`}`;
  }
  return out;
}

// RFC 9110 §12.4.2: "q" separates media-type parameters from accept extensions; we keep the
// media-type parameters and drop extensions, which no DICOMweb client uses.
function withWeight(type: string, all: Map<string, string>): MediaRange {
  const params = new Map<string, string>();
  let q = 1;
  let afterQ = false;
  for (const [name, val] of all) {
    if (name === 'q') {
      if (!QVALUE.test(val)) throw new MediaTypeError(`invalid weight q=${val} for ${type}`);
      q = Number(val);
      afterQ = true;
    } else if (!afterQ) {
      params.set(name, val);
    }
  }
  return { type, params: Object.fromEntries(params), q };
}

class Scanner {
  pos = 0;
  constructor(
    private readonly s: string,
    /** In an Accept list a comma ends a media range; in a Content-Type it may be in a value. */
    private readonly inList: boolean,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  peek(): string {
    return this.s[this.pos] ?? '';
  }

  fail(what: string): never {
    const at = this.atEnd() ? 'at end' : `at position ${this.pos} ("${this.s[this.pos]}")`;
    throw new MediaTypeError(`malformed media type "${this.s}": ${what} ${at}`);
  }

  // OWS = *( SP / HTAB ), RFC 9110 §5.6.3.
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  token(what: string): string {
    const start = this.pos;
    while (!this.atEnd() && TCHAR.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}`);
    return this.s.slice(start, this.pos);
  }

  /** Parameters in a Map, in order (the order matters for "q"). */
  mediaType(): { type: string; params: Map<string, string> } {
    const type = this.token('a type');
    if (this.peek() !== '/') this.fail('expected "/" after the type');
    this.pos++;
    const subtype = this.token('a subtype');
    // A Map (then fromEntries): a parameter named "__proto__" must stay a plain parameter.
    const params = new Map<string, string>();
    for (;;) {
      const save = this.pos;
      this.skipOws();
      if (this.peek() !== ';') {
        this.pos = save;
        break;
      }
      this.pos++;
      this.skipOws();
      // parameters = *( OWS ";" OWS [ parameter ] ): an empty parameter is allowed.
      if (this.atEnd() || this.peek() === ';' || (this.inList && this.peek() === ',')) continue;
      const name = this.token('a parameter name').toLowerCase();
      this.skipOws();
      if (this.peek() !== '=') this.fail(`expected "=" after parameter ${name}`);
      this.pos++;
      this.skipOws();
      const val = this.peek() === '"' ? this.quoted() : this.bareValue(name);
      // A repeated parameter (two boundaries) is ambiguous; refusing it avoids parser confusion.
      if (params.has(name)) this.fail(`parameter ${name} given twice`);
      params.set(name, val);
    }
    return { type: `${type}/${subtype}`.toLowerCase(), params };
  }

  // quoted-string, RFC 9110 §5.6.4: qdtext and quoted-pair ("\" followed by any visible char).
  private quoted(): string {
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated quoted string');
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\') {
        if (this.atEnd()) this.fail('unterminated escape in quoted string');
        out += this.s[this.pos++];
      } else if (c !== '\t' && (c < ' ' || c === '\u007f')) {
        this.pos--;
        this.fail('control character in quoted string');
      } else {
        out += c;
      }
    }
  }

  private bareValue(name: string): string {
    const start = this.pos;
    for (; !this.atEnd(); this.pos++) {
      const c = this.peek();
      if (c === ';' || c === ' ' || c === '\t' || (this.inList && c === ',')) break;
      if (c === '"' || c === '\\' || c < ' ' || c === '\u007f') this.fail(`bad character in ${name}`);
    }
    if (this.pos === start) this.fail(`empty value for parameter ${name}`);
    return this.s.slice(start, this.pos);
  }
}
