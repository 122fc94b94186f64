import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import { buildCentral, type Central } from '../../src/federation/central/central-app.js';
import type { Scorer } from '../../src/federation/central/validation-set.js';
import { makeDelta, type DeltaInfo } from '../../src/federation/delta.js';
import { generateKeyPair } from '../../src/federation/signing.js';
import { createLogger } from '../../src/log.js';
import type { ModelCard } from '../../src/inference/model-card.js';
import { demoCardJson } from './demo-fixtures.js';

/** An in-process central server on a free loopback port with its own PGlite data dir. */
export interface Harness {
  central: Central;
  url: string;
  dir: string;
  site(name: string): Promise<Site>;
  /** Writes a model package (the demo card with these ONNX bytes) and adds it as the root. */
  addRoot(onnx: Buffer, card?: Partial<ModelCard>): Promise<{ sha256: string }>;
  close(): Promise<void>;
}

export interface Site {
  name: string;
  token: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  delta(base: Buffer, updated: Buffer, extra?: Partial<DeltaInfo>): Buffer;
  get(p: string): Promise<Response>;
  post(p: string, body: Buffer, type?: string): Promise<Response>;
}

/**
 * Site validation off: these tests hold the central gate alone (the one-phase merge a consortium of
 * clients that cannot report runs); central-site-validation.int.test.ts tests the proposal phase.
 */
export const CENTRAL_TEST_CONFIG = {
  central: { minUploads: 1000, maxWaitSeconds: 1e6, checkIntervalSeconds: 3600, maxDeltaBytes: 4 * 1024 ** 2, siteValidation: { enabled: false }, validation: { seeds: [9001, 9002], contrasts: ['T1', 'T2', 'PD'], slices: 3 } },
};

export async function startCentral(extra: Record<string, unknown> = {}, opts: { scorer?: Scorer } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-central-'));
  const config = validateConfig({ dataDir: dir, storage: { fsync: false }, log: { level: 'warn' }, ...CENTRAL_TEST_CONFIG, ...extra });
  const central = await buildCentral(config, { log: createLogger('warn', 'dafne-central', 2), scorer: opts.scorer });
  const server: Server = await new Promise((resolve) => {
    const s = central.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    central,
    url,
    dir,
    site: async (name) => {
      const keys = generateKeyPair();
      const token = await central.addSite(name, keys.publicKeyPem);
      const privateKey = createPrivateKey(keys.privateKeyPem);
      const auth = { authorization: `Bearer ${token}` };
      return {
        name,
        token,
        publicKeyPem: keys.publicKeyPem,
        privateKey,
        delta: (base, updated, e = {}) =>
          makeDelta(base, updated, { modelId: 'leg-demo', siteId: name, trainingSlices: 40, trainingSeries: 3, localGate: { heldOut: 0.8, benchmark: 0.8, corrections: 0.85 }, software: 'dafne-node test', ...e }, privateKey),
        get: (p) => fetch(url + p, { headers: auth }),
        post: (p, body, type = 'application/vnd.dafne.delta') => fetch(url + p, { method: 'POST', headers: { ...auth, 'content-type': type }, body }),
      };
    },
    addRoot: async (onnx, card = {}) => {
      const pkg = path.join(dir, `pkg-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      mkdirSync(pkg);
      writeFileSync(path.join(pkg, 'model.onnx'), onnx);
      writeFileSync(path.join(pkg, 'model.json'), JSON.stringify({ ...demoCardJson(), ...card }));
      return central.addModel(pkg);
    },
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await central.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
