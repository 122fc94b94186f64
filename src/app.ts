import path from 'node:path';
import Koa from 'koa';
import type { Logger } from 'pino';
import { Archive } from './archive/archive.js';
import { AuditLog } from './audit/audit-log.js';
import { auditRouter } from './audit/routes.js';
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
import { ensureDemoModel } from './learning/ensure-demo.js';
import { LearningService } from './learning/learning-service.js';
import { learningRouter } from './learning/routes.js';
import { ShadowRunner } from './learning/shadow.js';
import type { Policy } from './learning/model-state.js';
import { exportRouter } from './export/routes.js';
import { FederationClient } from './federation/client/federation-client.js';
import { federationRouter } from './federation/client/routes.js';
import { releaseReviewed } from './export/deliveries.js';
import { jobsRouter } from './jobs/routes.js';
import { routingRouter } from './routing/routes.js';
import { Routing } from './routing/routing-service.js';
import { ReviewEvents } from './review/review-events.js';
import { measurementsRouter } from './results/routes.js';
import { ReviewService } from './review/reviews.js';
import { reviewRouter } from './review/routes.js';
import { isPublicViewerPath, viewerRouter } from './viewer/routes.js';
import { overviewRouter } from './console/api-routes.js';
import { consoleRouter, isPublicConsolePath } from './console/routes.js';

/** Everything one node is made of, built explicitly (DESIGN §1: no hidden globals). */
export interface Node {
  config: Config;
  log: Logger;
  db: Database;
  archive: Archive;
  models: ModelRegistry;
  /** AI results and their reviews; routing subscribes with `reviews.events.onReviewed` (docs/review.md). */
  reviews: ReviewService;
  /** Node-wide audit trail of state-changing API actions (GET /api/v1/audit; docs/console.md). */
  audit: AuditLog;
  metrics: Metrics;
  /** Automatic routing: rules, destinations, jobs, stability (started by `serve` / `worker`). */
  routing: Routing;
  /** Federation client: delta upload queue and generation pulls (started by `serve`; docs/federation.md). */
  federation: FederationClient;
  /** Learning runs, promotion policy, nightly schedule (started by `serve`; docs/learning.md). */
  learning: LearningService;
  app: Koa<AppState>;
  close(): Promise<void>;
}

export interface BuildOptions {
  log?: Logger;
  /** Open the database without applying migrations (the `migrate` command applies them). */
  migrate?: boolean;
  /** Repair the blob store at start (default true; false for `worker`, which shares it). */
  recoverArchive?: boolean;
}

/** The composition root: builds every service and mounts the routers; never listens. */
export async function buildNode(config: Config, opts: BuildOptions = {}): Promise<Node> {
  const log = opts.log ?? createLogger(config.log.level);
  const dataDir = path.resolve(config.dataDir);
  const db = await openDatabase({ url: config.database.url, embeddedDir: path.join(dataDir, 'db'), poolSize: config.database.poolSize, migrate: opts.migrate });
  if (db.migrated.length) log.info({ migrations: db.migrated }, 'applied database migrations');
  const archive = new Archive(db, log, { dir: path.join(dataDir, 'blobs'), ...config.storage, writerThreads: config.stow.writerThreads, writeConcurrency: config.stow.writeConcurrency, writerIdleMs: config.stow.writerIdleSeconds * 1000 });
  await archive.open({ recover: opts.recoverArchive });
  // Model files live in their own content-addressed store: they are not DICOM instances.
  const modelBlobs = new BlobStore(path.join(dataDir, 'models'), config.storage.fsync);
  await modelBlobs.init();
  const models = new ModelRegistry(db, modelBlobs);
  // A fresh node gets the shipped demo model (models/leg-demo) as its default (issue 6 item 7).
  if (opts.migrate !== false) await ensureDemoModel(models, log);
  const metrics = new Metrics();
  const reviews = new ReviewService(archive, new ReviewEvents(log));
  const audit = new AuditLog(db);
  // Learning (issue 6): a candidate under the shadow policy runs beside each routed inference.
  const shadow: ShadowRunner = new ShadowRunner({ db, models, policy: (id: string): Policy => learning.policy(id), log: log.child({ component: 'shadow' }), idleReleaseMs: config.inference.idleReleaseSeconds * 1000 });
  const routing: Routing = new Routing({ config, db, archive, models, log, afterSegment: shadow.afterSegment, audit });
  const learning: LearningService = new LearningService({ config: config.learning, archive, models, queue: routing.queue, audit, log: log.child({ component: 'learning' }) });
  const federation = new FederationClient(config.federation, { db, registry: models, log, dataDir, localSets: (id) => learning.localSets(id) });
  // A candidate the local gate accepted goes to the central server as a delta (issue 7).
  learning.onAccepted.push(async (e) => {
    await federation.federateCandidate(e.modelId, e.onnx, e.parentSha256, { trainingSlices: e.trainingSlices, trainingSeries: e.trainingSeries, localGate: { heldOut: e.gate.candidate.heldOut ?? null, benchmark: e.gate.candidate.benchmark ?? null, corrections: e.gate.candidate.corrections ?? null } });
  });
  // A review releases after-review deliveries at once; the stability tick does it too (durably).
  // A correction gets its measurement report first, so the release below can send it (issue 18).
  reviews.events.onReviewed((e) => (e.review.action === 'correct' ? routing.correctedDerived.ensure() : undefined));
  reviews.events.onReviewed(() => releaseReviewed(db, routing.queue, log));

  const app = new Koa<AppState>();
  app.proxy = config.server.publicUrl !== undefined;
  app.silent = true; // errors are logged by requestContext, with the request id
  app.use(requestContext(log));
  app.use(metrics.middleware());
  app.use(authenticate(config.auth.tokens, { isPublic: (p) => isPublicViewerPath(p) || isPublicConsolePath(p) }));
  for (const router of [healthRouter(archive, metrics, () => routing.fileStatus), dicomwebRouter({ archive, config, metrics, onStored: (r, sender) => routing.onStored(r, sender) }), reviewRouter(reviews), viewerRouter({ log }), routingRouter(routing.rules, archive, audit, models, (actor) => routing.reloadConfigFile(actor)), jobsRouter(db, routing.queue, audit), exportRouter(db, routing.destinations, routing.queue, audit, config.dimse.aeTitle, async (name) => (await routing.rules.current()).rules.filter((r) => r.destinations.some((d) => d.name === name)).map((r) => r.id)), auditRouter(audit), overviewRouter({ archive, destinations: routing.destinations, config }), consoleRouter(), federationRouter(federation, audit), learningRouter({ models, learning, audit }), measurementsRouter(db)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return {
    config,
    log,
    db,
    archive,
    models,
    reviews,
    audit,
    metrics,
    routing,
    federation,
    learning,
    app,
    close: async () => {
      await learning.stop();
      await federation.stop();
      await routing.close();
      await shadow.close();
      await archive.close();
      await db.close();
    },
  };
}
