import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import { BlobStore } from '../../archive/blob-store.js';
import type { Config } from '../../config/schema.js';
import { openDatabase, type Database } from '../../db/data-source.js';
import { hashToken } from '../../http/auth.js';
import { requestContext } from '../../http/error-middleware.js';
import { ModelRegistry } from '../../inference/model-registry.js';
import { createLogger } from '../../log.js';
import { loadOrCreateSiteKey, parsePublicKey, sign } from '../signing.js';
import { centralAuth, type CentralState } from './central-auth.js';
import { CentralStore, SiteError } from './central-store.js';
import { dafneCompatRouter } from './dafne-compat.js';
import type { RoundDeps } from './merge-round.js';
import { MergeScheduler } from './merge-scheduler.js';
import { ProposalStore } from './proposal-store.js';
import { proposalRouter } from './proposal-routes.js';
import { centralRouter } from './routes.js';
import { PhantomScorer, type Scorer } from './validation-set.js';

/**
 * The composition root of the central role (`dafne-node central`, issue 7): its own data directory
 * and database (config.dataDir / DATABASE_URL, as a node), a ModelRegistry holding the generations
 * (the ACTIVE generation is the federation's current root), the site and upload tables, the central
 * signing key, the merge scheduler and the Koa app. It shares the node's stack but none of its
 * services: no archive, no routing, no viewer.
 */
export interface Central {
  config: Config;
  log: Logger;
  db: Database;
  registry: ModelRegistry;
  store: CentralStore;
  proposals: ProposalStore;
  merges: MergeScheduler;
  publicKeyPem: string;
  app: Koa<CentralState>;
  /** Registers a site and returns its bearer token (shown once; only its hash is stored). */
  addSite(siteId: string, publicKeyPem: string): Promise<string>;
  /** Adds a model package as a root generation (a new model, or a new generation 0 of an operator's choosing). */
  addModel(dir: string): Promise<{ modelId: string; generation: number; sha256: string }>;
  close(): Promise<void>;
}

export interface CentralOptions {
  log?: Logger;
  /** The central validation scorer (default: phantoms from config.central.validation). */
  scorer?: Scorer;
}

export async function buildCentral(config: Config, opts: CentralOptions = {}): Promise<Central> {
  const log = opts.log ?? createLogger(config.log.level, 'dafne-central');
  const dataDir = path.resolve(config.dataDir);
  const db = await openDatabase({ url: config.database.url, embeddedDir: path.join(dataDir, 'db'), poolSize: config.database.poolSize });
  if (db.migrated.length) log.info({ migrations: db.migrated }, 'applied database migrations');
  const blobs = new BlobStore(path.join(dataDir, 'models'), config.storage.fsync);
  await blobs.init();
  const registry = new ModelRegistry(db, blobs);
  const store = new CentralStore(db);
  const fedDir = path.join(dataDir, 'federation');
  const uploadsDir = path.join(fedDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  const { publicKeyPem, privateKey: key } = loadOrCreateSiteKey(fedDir, 'central-key.pem');
  const requeued = await store.requeueMerging();
  if (requeued) log.warn({ requeued }, 'deltas left merging by a previous run are queued again');
  const scorer = opts.scorer ?? new PhantomScorer({ ...config.central.validation });
  const proposals = new ProposalStore(db);
  const deps: RoundDeps = { store, registry, scorer, uploadsDir, key, config: config.central, log, proposals };
  const merges = new MergeScheduler(deps, log);

  const app = new Koa<CentralState>();
  app.proxy = config.server.publicUrl !== undefined;
  app.silent = true;
  app.use(requestContext(log) as never);
  const isPublic = (p: string) => p === '/healthz' || p === '/readyz' || p === '/federation/v1/public-key' || p.startsWith('/federation/v1/dafne/');
  app.use(centralAuth(store, config.auth.tokens, { isPublic }));
  const addSite = async (siteId: string, sitePublicKeyPem: string): Promise<string> => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(siteId)) throw new SiteError(`site name "${siteId}": letters, digits, dot, dash, underscore (max 64)`);
    try {
      parsePublicKey(sitePublicKeyPem); // an unusable key fails here, not at the first upload
    } catch (e) {
      throw new SiteError(`site "${siteId}": the public key is not a usable ed25519 PEM key (${(e as Error).message})`);
    }
    const token = randomBytes(32).toString('base64url');
    await store.addSite(siteId, sitePublicKeyPem.trim() + '\n', hashToken(token));
    return token;
  };
  const routeDeps = { store, registry, key, publicKeyPem, uploadsDir, maxDeltaBytes: config.central.maxDeltaBytes, onQueued: () => merges.poke(), addSite };
  const health = new Router<CentralState>();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok', role: 'central' };
  });
  health.get('/readyz', async (ctx) => {
    const ok = await db.dataSource.query('SELECT 1').then(() => true, () => false);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not ready' };
  });
  const proposalRoutes = proposalRouter({ proposals, key, uploadsDir, onReport: () => merges.poke() });
  for (const router of [health, centralRouter(routeDeps), proposalRoutes, dafneCompatRouter(routeDeps, config.auth.tokens)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  return {
    config,
    log,
    db,
    registry,
    store,
    proposals,
    merges,
    publicKeyPem,
    app,
    addSite,
    addModel: async (dir) => {
      const info = await registry.add(dir, 'central-operator', { activate: true });
      const pkg = await registry.package(info.modelId, info.generation);
      const score = await scorer.score(pkg.card, pkg.onnx, pkg.sha256).catch((err: unknown) => {
        log.warn({ err, modelId: info.modelId }, 'the root generation could not be scored on the central validation set');
        return undefined;
      });
      await store.recordGeneration({
        modelId: info.modelId,
        generation: info.generation,
        sha256: info.sha256,
        signature: sign(pkg.onnx, key).toString('base64'),
        contributors: [],
        validation: score ? { set: scorer.describe(pkg.card), centralDice: score.mean, perLabel: score.perLabel } : null,
        mergeReport: null,
      });
      return { modelId: info.modelId, generation: info.generation, sha256: info.sha256 };
    },
    close: async () => {
      await merges.stop();
      await db.close();
    },
  };
}
