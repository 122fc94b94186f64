/**
 * Test harness: a whole node (embedded PGlite database, blob store, every router) on an ephemeral
 * loopback port, in its own temp data dir, plus a STOW-RS helper to fill it.
 *
 *   const n = await startNode();
 *   await stowInstances(n.url, [bytes]);
 *   ...
 *   await n.close();
 */
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode, type Node } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { multipartStream, newBoundary } from '../../src/dicom/multipart.js';

export interface TestNode {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  node: Node;
  dataDir: string;
  close(): Promise<void>;
}

export interface StartNodeOptions {
  /** Extra config keys, merged over the test defaults (top-level sections replace wholesale). */
  config?: Record<string, unknown>;
}

export async function startNode(opts: StartNodeOptions = {}): Promise<TestNode> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dafne-node-test-'));
  const config = validateConfig({
    dataDir,
    log: { level: 'silent' },
    // Tests need no durability, and a small CI disk must not trip the free-space watermark.
    storage: { fsync: false, minFreeBytes: 0, minFreePercent: 0 },
    ...opts.config,
  });
  const node = await buildNode(config);
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = node.app.listen(0, '127.0.0.1');
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await node.close();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    node,
    dataDir,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface StowOptions {
  /** POST to /dicomweb/studies/{studyUid} instead of /dicomweb/studies. */
  studyUid?: string;
  headers?: Record<string, string>;
}

export interface StowAnswer {
  status: number;
  body: unknown;
}

/** STOW-RS (PS3.18 §10.5): POSTs the Part 10 files as multipart/related; type="application/dicom". */
export async function stowInstances(url: string, files: readonly Buffer[], opts: StowOptions = {}): Promise<StowAnswer> {
  const boundary = newBoundary();
  const chunks: Buffer[] = [];
  const parts = files.map((body) => ({ headers: { 'Content-Type': 'application/dicom' }, body }));
  for await (const chunk of multipartStream(parts, boundary)) chunks.push(chunk);
  const res = await fetch(`${url}/dicomweb/studies${opts.studyUid ? `/${opts.studyUid}` : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json', ...opts.headers },
    body: Buffer.concat(chunks),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, body };
}
