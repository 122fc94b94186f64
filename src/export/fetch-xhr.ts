/**
 * The part of XMLHttpRequest that dicomweb-client uses, over Node's fetch. dicomweb-client is a
 * browser library: it takes a request `instance` per call (its Request option), so no global is
 * patched. Network errors and timeouts end with status 0, which dicomweb-client rejects like any
 * non-2xx answer; `networkError` says which it was.
 */
export class FetchXhr {
  readyState = 0;
  status = 0;
  response: unknown = null;
  responseType: '' | 'json' | 'arraybuffer' | 'text' = '';
  withCredentials = false;
  onreadystatechange: (() => void) | null = null;
  onloadstart: (() => void) | null = null;
  onloadend: (() => void) | null = null;
  onprogress: unknown = null;
  networkError: string | undefined;
  /** The response body as text (for reasons in logs and the API). */
  responseText = '';
  private method = 'GET';
  private url = '';
  private readonly headers: Record<string, string> = {};
  private responseHeaders = new Headers();

  constructor(private readonly timeoutMs: number) {}

  open(method: string, url: string): void {
    this.method = method.toUpperCase();
    this.url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    return this.responseHeaders.get(name);
  }

  getAllResponseHeaders(): string {
    return [...this.responseHeaders.entries()].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }

  send(body?: ArrayBuffer | Uint8Array | string): void {
    this.onloadstart?.();
    void (async () => {
      try {
        const res = await fetch(this.url, {
          method: this.method,
          headers: this.headers,
          body: body === undefined ? undefined : typeof body === 'string' ? body : body instanceof Uint8Array ? body : new Uint8Array(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const buf = Buffer.from(await res.arrayBuffer());
        this.status = res.status;
        this.responseHeaders = res.headers;
        this.responseText = buf.toString('utf8');
        if (this.responseType === 'arraybuffer') this.response = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
        else if (this.responseType === 'json') this.response = parseJson(this.responseText);
        else this.response = this.responseText;
      } catch (err) {
        this.status = 0;
        const e = err as Error & { cause?: { code?: string; message?: string } };
        this.networkError = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      }
      this.readyState = 4;
      this.onreadystatechange?.();
      this.onloadend?.();
    })();
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
