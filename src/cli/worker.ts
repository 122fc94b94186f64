import { buildNode } from '../app.js';
import type { Config } from '../config/schema.js';

/**
 * `dafne-node worker`: job workers only (DESIGN §3). Started on other machines with the same
 * DATABASE_URL and blob store, it takes inference and delivery jobs from the shared queue; pg-boss
 * fetches with SKIP LOCKED, so each job runs in one worker. No HTTP, no stability scheduler.
 */
export async function workerCommand(config: Config): Promise<number> {
  // No blob-store repair: a serving node may be writing into the same store right now.
  const node = await buildNode(config, { recoverArchive: false });
  await node.routing.startWorkers();
  node.log.info({ database: node.db.kind, concurrency: config.jobs.concurrency }, 'dafne-node worker started');
  process.stdout.write(`dafne-node worker ready (database: ${node.db.kind})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  node.log.info('worker shutting down: finishing active jobs');
  await node.close();
  return 0;
}
