import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, sign } from '../../src/federation/signing.js';
import { createPrivateKey } from 'node:crypto';
import { peekManifest, readDelta } from '../../src/federation/delta.js';

/**
 * A stand-in for the central server's /federation/v1 API (the contract in docs/federation.md
 * "Protocol") for the client's tests: it serves signed generations the test publishes and takes
 * delta uploads; it does not merge (the real server's tests cover that). `stop()` closes the port,
 * so the client sees a real connection refusal; `start()` opens the same port again.
 */
export interface FakeGeneration {
  generation: number;
  sha256: string;
  parentSha256: string | null;
  onnx: Buffer;
  /** Override what is served: tampered bytes or a foreign signature. */
  servedBytes?: Buffer;
  signature?: Buffer;
}

export class FakeCentral {
  readonly keys = generateKeyPair();
  readonly generations: FakeGeneration[] = [];
  readonly uploads = new Map<string, { uploadId: string; status: string; reason?: string; generation?: number; file: Buffer }>();
  readonly sitePublicKeys = new Map<string, string>();
  requests = 0;
  /** Answer every request with this status (e.g. 503) instead of serving it. */
  failWith: number | null = null;
  private server?: http.Server;
  port = 0;

  constructor(readonly modelId: string, readonly token = 'site-token') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  publish(onnx: Buffer, parentSha256: string | null): FakeGeneration {
    const g = { generation: this.generations.length, sha256: createHash('sha256').update(onnx).digest('hex'), parentSha256, onnx };
    this.generations.push(g);
    return g;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      const buf = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
      res.writeHead(status, { 'content-type': Buffer.isBuffer(value) ? 'application/octet-stream' : 'application/json', ...headers });
      res.end(buf);
    };
    if (this.failWith) return send(this.failWith, { error: 'unavailable', message: 'test says no' });
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized', message: 'bad token' });
    const url = new URL(req.url!, 'http://x');
    const p = url.pathname.replace(/^\/federation\/v1/, '');
    let m: RegExpMatchArray | null;
    if (req.method === 'GET' && p === '/public-key') return send(200, { algorithm: 'ed25519', publicKeyPem: this.keys.publicKeyPem });
    if (req.method === 'GET' && p === `/models/${this.modelId}`)
      return send(200, { id: this.modelId, name: 'Leg', generations: this.generations.map((g) => ({ generation: g.generation, sha256: g.sha256, parentSha256: g.parentSha256, createdAt: '2026-01-01T00:00:00Z', contributors: ['a'], validation: {} })) });
    if (req.method === 'GET' && (m = p.match(/^\/models\/[^/]+\/generations\/(\d+)\/model\.(onnx|json)$/))) {
      const g = this.generations[Number(m[1])];
      if (!g) return send(404, { error: 'not_found', message: 'no such generation' });
      if (m[2] === 'json') return send(200, { training: { origin: 'central-merge', slices: 10 } });
      const sig = g.signature ?? sign(g.onnx, createPrivateKey(this.keys.privateKeyPem));
      return send(200, g.servedBytes ?? g.onnx, { 'x-dafne-sha256': g.sha256, 'x-dafne-signature': sig.toString('base64') });
    }
    if (req.method === 'POST' && (m = p.match(/^\/models\/([^/]+)\/deltas$/))) {
      let manifest;
      try {
        manifest = peekManifest(body);
      } catch (e) {
        return send(400, { error: 'bad_request', message: (e as Error).message });
      }
      const key = this.sitePublicKeys.get(manifest.siteId);
      if (!key) return send(403, { error: 'forbidden', message: 'unknown site' });
      try {
        readDelta(body, key);
      } catch (e) {
        return send(422, { error: 'unprocessable', message: (e as Error).message });
      }
      if (!this.generations.some((g) => g.sha256 === manifest.baseSha256)) return send(409, { error: 'conflict', message: 'unknown base generation' });
      const existing = [...this.uploads.values()].find((u) => peekManifest(u.file).payloadSha256 === manifest.payloadSha256);
      if (existing) return send(202, { uploadId: existing.uploadId, status: existing.status });
      const uploadId = randomUUID();
      this.uploads.set(uploadId, { uploadId, status: 'queued', file: body });
      return send(202, { uploadId, status: 'queued' });
    }
    if (req.method === 'GET' && (m = p.match(/^\/uploads\/([^/]+)$/))) {
      const u = this.uploads.get(m[1]!);
      if (!u) return send(404, { error: 'not_found', message: 'no such upload' });
      return send(200, { uploadId: u.uploadId, status: u.status, reason: u.reason, generation: u.generation });
    }
    send(404, { error: 'not_found', message: `no route ${req.method} ${p}` });
  }
}
