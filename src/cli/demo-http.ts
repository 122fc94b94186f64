/**
 * The few HTTP calls `dafne-node demo` makes to a running node (DICOMweb and the JSON API), with
 * errors that say which call failed and what the node answered.
 */

export class DemoError extends Error {
  constructor(
    message: string,
    /** Process exit status (sysexits.h: 69 unavailable, 75 temporary failure, 70 software). */
    readonly exitCode = 70,
  ) {
    super(message);
  }
}

export class NodeClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async request(method: string, path: string, init: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { method, headers: this.headers(init.headers), ...(init.body !== undefined ? { body: init.body } : {}) });
    } catch (e) {
      throw new DemoError(`no node answers at ${this.baseUrl} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}): start one first, e.g. "npm start"`, 69);
    }
  }

  /** JSON of a 2xx answer; 404 → undefined; anything else is an error naming the call. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const res = await this.request(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (res.status === 404) return undefined;
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      const hint = res.status === 401 || res.status === 403 ? ' (this node requires a token: pass --token or DAFNE_TOKEN, with roles admin and pacs)' : '';
      throw new DemoError(`${method} ${path}: HTTP ${res.status} ${text}${hint}`);
    }
    return (await res.json()) as T;
  }

  /** STOW-RS of Part 10 files as one multipart/related request (PS3.18 §10.5). */
  async stow(files: Buffer[]): Promise<number> {
    const boundary = `dafne-demo-${Date.now().toString(36)}`;
    const parts: Buffer[] = [];
    for (const f of files) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\nContent-Length: ${f.length}\r\n\r\n`), f, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await this.request('POST', '/dicomweb/studies', {
      body: Buffer.concat(parts),
      headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
    });
    if (!res.ok) throw new DemoError(`STOW-RS: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as Record<string, { Value?: unknown[] }>;
    const failed = body['00081198']?.Value?.length ?? 0;
    if (failed > 0) throw new DemoError(`STOW-RS: the node refused ${failed} of ${files.length} instances`);
    return body['00081199']?.Value?.length ?? 0;
  }

  /** One instance by WADO-RS, as its Part 10 bytes (the single part of the multipart answer). */
  async instance(study: string, series: string, sop: string): Promise<Buffer> {
    const res = await this.request('GET', `/dicomweb/studies/${study}/series/${series}/instances/${sop}`, { headers: { accept: 'multipart/related; type="application/dicom"' } });
    if (!res.ok) throw new DemoError(`WADO-RS of the SEG: HTTP ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    const body = Buffer.from(await res.arrayBuffer());
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!boundary) return body;
    const start = body.indexOf('\r\n\r\n', body.indexOf(`--${boundary}`)) + 4;
    const end = body.indexOf(`\r\n--${boundary}`, start);
    if (start < 4 || end < 0) throw new DemoError('WADO-RS of the SEG: malformed multipart answer');
    return body.subarray(start, end);
  }
}
