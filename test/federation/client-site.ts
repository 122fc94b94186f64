import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { BlobStore } from '../../src/archive/blob-store.js';
import { configSchema } from '../../src/config/schema.js';
import { openDatabase, type Database } from '../../src/db/data-source.js';
import { FederationClient, type FederationConfig } from '../../src/federation/client/federation-client.js';
import type { LocalSets } from '../../src/federation/client/puller.js';
import { ModelRegistry } from '../../src/inference/model-registry.js';
import { ensureDemoModel } from '../../src/learning/ensure-demo.js';

/** One federated site for the client tests: its own data dir, embedded database, registry (demo model) and client. */
export interface TestSite {
  dir: string;
  db: Database;
  registry: ModelRegistry;
  client: FederationClient;
  close(): Promise<void>;
}

export const quietLog = pino({ level: 'silent' });

/** autoApprove: these tests are about delivery; client-approval.int.test.ts tests the approval itself. */
export function federationConfig(o: Partial<FederationConfig>): FederationConfig {
  return configSchema.parse({ federation: { retryBaseSeconds: 1, retryMaxSeconds: 4, uploadIntervalSeconds: 3600, autoApprove: true, ...o } }).federation;
}

export async function openSite(cfg: FederationConfig, opts: { dir?: string; localSets?: (id: string) => Promise<LocalSets>; root?: { onnx: Uint8Array; card: unknown } } = {}): Promise<TestSite> {
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'fed-site-')));
  const db = await openDatabase({ embeddedDir: path.join(dir, 'db') });
  const blobs = new BlobStore(path.join(dir, 'models'), false);
  await blobs.init();
  const registry = new ModelRegistry(db, blobs);
  if (opts.root && !(await registry.list()).length) await registry.add(opts.root, 'test');
  else if (!opts.root) await ensureDemoModel(registry);
  const client = new FederationClient(cfg, { db, registry, log: quietLog, dataDir: dir, localSets: opts.localSets });
  return {
    dir,
    db,
    registry,
    client,
    close: async () => {
      await client.stop();
      await db.close();
    },
  };
}
