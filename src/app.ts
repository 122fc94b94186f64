import path from 'node:path';
import Koa from 'koa';
import type { Logger } from 'pino';
import { Archive } from './archive/archive.js';
import { BlobStore } from './archive/blob-store.js';
import type { Config } from './config/schema.js';
import { openDatabase, type Database } from './db/data-source.js';
import { dicomwebRouter } from './dicomweb/routes.js';
import { authenticate } from './http/auth.js';
import type { AppState } from './http/context.js';
import { requestContext } from './http/error-middleware.js';
import { healthRouter } from './http/health.js';
import { Metrics } from './http/metrics.js';
import { ModelRegistry } from './inference/model-registry.js';
import { createLogger } from './log.js';

/** Everything one node is made of, built explicitly (DESIGN §1: no hidden globals). */
export interface Node {
  config: Config;
  log: Logger;
  db: Database;
  archive: Archive;
  models: ModelRegistry;
  metrics: Metrics;
  app: Koa<AppState>;
  close(): Promise<void>;
}

export interface BuildOptions {
  log?: Logger;
  /** Open the database without applying migrations (the `migrate` command applies them). */
  migrate?: boolean;
}

/** The composition root: builds every service and mounts the routers; never listens. */
export async function buildNode(config: Config, opts: BuildOptions = {}): Promise<Node> {
  const log = opts.log ?? createLogger(config.log.level);
  const dataDir = path.resolve(config.dataDir);
  const db = await openDatabase({ url: config.database.url, embeddedDir: path.join(dataDir, 'db'), poolSize: config.database.poolSize, migrate: opts.migrate });
  if (db.migrated.length) log.info({ migrations: db.migrated }, 'applied database migrations');
  const archive = new Archive(db, log, { dir: path.join(dataDir, 'blobs'), ...config.storage, writerThreads: config.stow.writerThreads, writeConcurrency: config.stow.writeConcurrency });
  await archive.open();
  // Model files live in their own content-addressed store: they are not DICOM instances.
  const modelBlobs = new BlobStore(path.join(dataDir, 'models'), config.storage.fsync);
  await modelBlobs.init();
  const models = new ModelRegistry(db, modelBlobs);
  const metrics = new Metrics();

  const app = new Koa<AppState>();
  app.proxy = config.server.publicUrl !== undefined;
  app.silent = true; // errors are logged by requestContext, with the request id
  app.use(requestContext(log));
  app.use(metrics.middleware());
  app.use(authenticate(config.auth.tokens));
  for (const router of [healthRouter(archive, metrics), dicomwebRouter({ archive, config, metrics })]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return {
    config,
    log,
    db,
    archive,
    models,
    metrics,
    app,
    close: async () => {
      await archive.close();
      await db.close();
    },
  };
}
