import { createHash } from 'node:crypto';
import { DELTA_MEDIA_TYPE } from '../delta.js';

/**
 * HTTP client of the central server's /federation/v1 API (docs/federation.md "Protocol"). It knows
 * the wire format only; what to do with answers (retry, install, record) belongs to the callers.
 */
export interface CentralGeneration {
  generation: number;
  sha256: string;
  parentSha256: string | null;
  createdAt?: string;
  contributors?: string[];
  validation?: unknown;
}

export interface CentralModelInfo {
  id: string;
  name: string;
  generations: CentralGeneration[];
}

export type UploadStatus = 'queued' | 'merging' | 'validating' | 'accepted' | 'rejected' | 'skipped';

/** An open merge proposal the central server asks the sites to validate (docs/federation.md "Site validation"). */
export interface CentralProposal {
  proposalId: string;
  modelId: string;
  rootGeneration: number;
  rootSha256: string;
  steps: { step: number; sha256: string }[];
  reported: boolean;
}

export interface ReportScores {
  slices: number;
  root: number;
  steps: number[];
}

export interface UploadOutcome {
  uploadId: string;
  status: UploadStatus;
  reason?: string;
  generation?: number;
}

/**
 * A failed call. `retryable`: the server was unreachable or answered 408 / 429 / 5xx, so the same
 * request may succeed later; anything else (400, 401, 403, 409, 413, 422) will not change by waiting.
 */
export class CentralError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'CentralError';
  }
}

export interface CentralApiOptions {
  url: string;
  token?: string;
  /** Per request; a hung central server must not hold the upload loop forever. */
  timeoutMs?: number;
}

export class CentralApi {
  private readonly base: string;

  constructor(private readonly o: CentralApiOptions) {
    this.base = o.url.replace(/\/+$/, '') + '/federation/v1';
  }

  async models(): Promise<{ id: string; name: string; latest: { generation: number; sha256: string } | null }[]> {
    return ((await this.json('GET', '/models')) as { models: never[] }).models;
  }

  async model(id: string): Promise<CentralModelInfo> {
    return (await this.json('GET', `/models/${encodeURIComponent(id)}`)) as CentralModelInfo;
  }

  async publicKey(): Promise<string> {
    return ((await this.json('GET', '/public-key')) as { publicKeyPem: string }).publicKeyPem;
  }

  /** The generation's ONNX bytes with the central server's hash and signature headers (not yet checked). */
  async download(id: string, generation: number): Promise<{ onnx: Buffer; sha256Header: string | null; signature: Buffer | null; sha256: string }> {
    const res = await this.request('GET', `/models/${encodeURIComponent(id)}/generations/${generation}/model.onnx`);
    const onnx = Buffer.from(await res.arrayBuffer());
    const sig = res.headers.get('x-dafne-signature');
    return { onnx, sha256Header: res.headers.get('x-dafne-sha256'), signature: sig ? Buffer.from(sig, 'base64') : null, sha256: createHash('sha256').update(onnx).digest('hex') };
  }

  async card(id: string, generation: number): Promise<unknown> {
    return this.json('GET', `/models/${encodeURIComponent(id)}/generations/${generation}/model.json`);
  }

  async uploadDelta(id: string, file: Buffer): Promise<{ uploadId: string; status: UploadStatus }> {
    const res = await this.request('POST', `/models/${encodeURIComponent(id)}/deltas`, file, DELTA_MEDIA_TYPE);
    return (await res.json()) as { uploadId: string; status: UploadStatus };
  }

  async upload(uploadId: string): Promise<UploadOutcome> {
    return (await this.json('GET', `/uploads/${encodeURIComponent(uploadId)}`)) as UploadOutcome;
  }

  async proposals(id: string): Promise<CentralProposal[]> {
    return ((await this.json('GET', `/models/${encodeURIComponent(id)}/proposals`)) as { proposals: CentralProposal[] }).proposals;
  }

  /** A proposed step's ONNX bytes with hash and signature headers (not yet checked). */
  async downloadProposal(proposalId: string, k: number): Promise<{ onnx: Buffer; signature: Buffer | null; sha256: string }> {
    const res = await this.request('GET', `/proposals/${encodeURIComponent(proposalId)}/steps/${k}/model.onnx`);
    const onnx = Buffer.from(await res.arrayBuffer());
    const sig = res.headers.get('x-dafne-signature');
    return { onnx, signature: sig ? Buffer.from(sig, 'base64') : null, sha256: createHash('sha256').update(onnx).digest('hex') };
  }

  async report(proposalId: string, report: { heldOut?: ReportScores; benchmark?: ReportScores }): Promise<void> {
    await this.request('POST', `/proposals/${encodeURIComponent(proposalId)}/reports`, Buffer.from(JSON.stringify(report)), 'application/json');
  }

  private async json(method: string, path: string): Promise<unknown> {
    const res = await this.request(method, path);
    try {
      return await res.json();
    } catch {
      throw new CentralError(`${method} ${path}: the central server's answer is not JSON`, res.status, true);
    }
  }

  private async request(method: string, path: string, body?: Buffer, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: '*/*' };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    if (contentType) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body, signal: AbortSignal.timeout(this.o.timeoutMs ?? 60_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CentralError(`${method} ${path}: central server unreachable (${cause})`, null, true);
    }
    if (res.ok) return res;
    let detail = '';
    try {
      const b = (await res.json()) as { message?: string; error?: string };
      detail = b.message ?? b.error ?? '';
    } catch {
      /* not JSON: the status says enough */
    }
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new CentralError(`${method} ${path}: ${res.status}${detail ? ` ${detail}` : ''}`, res.status, retryable);
  }
}
