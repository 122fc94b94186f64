import type { Server } from 'node:http';
import { buildNode, type Node } from '../app.js';
import type { Config } from '../config/schema.js';
import { startDimseServer, type DimseServer } from '../dimse/dimse-server.js';
import { isLoopbackHost } from '../http/auth.js';
import { RulesFileError } from '../routing/rules-file.js';

/** `dafne-node serve`: HTTP (DICOMweb, API, viewer), job workers and the scheduler in one process until SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<number> {
  const { host, port } = config.server;
  if (config.auth.tokens.length === 0 && !isLoopbackHost(host)) {
    process.stderr.write(`dafne-node: refusing to listen on ${host} without auth.tokens; configure tokens (see docs/configuration.md) or use a loopback address\n`);
    return 78;
  }
  const { dimse } = config;
  if (dimse.port !== undefined && !isLoopbackHost(dimse.host) && dimse.allowedCallingAeTitles.length === 0) {
    process.stderr.write(`dafne-node: refusing to listen for DIMSE on ${dimse.host} without dimse.allowedCallingAeTitles; list the PACS AE titles (see docs/configuration.md) or use a loopback address\n`);
    return 78;
  }
  const node = await buildNode(config);
  // Routing (issue 4): rules / destinations file, job workers and the stability scheduler, in-process.
  // A rules file that names a model or destination the node lacks stops the start, like a bad config
  // key (docs/decisions.md "Routing"): the admin is there, and a node routing nothing would be silent.
  try {
    await node.routing.importConfigFile();
  } catch (err) {
    await node.close();
    if (!(err instanceof RulesFileError)) throw err;
    process.stderr.write(`dafne-node: ${err.message}\n`);
    return 78;
  }
  // SIGHUP re-reads the rules file; a refused file leaves the rules in force (and is logged, in /readyz and the audit).
  const reload = (): void => void node.routing.reloadConfigFile().catch((err: unknown) => node.log.error({ err }, 'reloading the routing rules file failed'));
  process.on('SIGHUP', reload);
  await node.routing.startWorkers();
  node.routing.startScheduler();
  // Federation (issue 7): upload queue loop and the pull schedule; idle unless federation is configured.
  node.federation.start();
  // Learning (issue 6): the nightly run (learning.time / timezone); skipped with a reason when too few corrections.
  node.learning.startSchedule();
  const server = await listen(node, host, port);
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  node.log.info({ host, port: actualPort, database: node.db.kind, dataDir: config.dataDir }, 'dafne-node listening');
  // DIMSE C-STORE / C-ECHO SCP (issue 16): the same ingest and routing hook as STOW-RS; the sender is the calling AE title.
  let dimseServer: DimseServer | undefined;
  if (dimse.port !== undefined) {
    dimseServer = await startDimseServer({ archive: node.archive, config, log: node.log, onStored: (r, sender) => node.routing.onStored(r, sender) });
    process.stdout.write(`dafne-node DIMSE ready: ${dimse.aeTitle}@${dimseServer.host}:${dimseServer.port}\n`);
  }
  if (config.auth.tokens.length === 0) {
    node.log.warn('no auth tokens configured: every request is accepted with all roles; listening on loopback only');
  }
  process.stdout.write(`dafne-node ready: http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/dicomweb (database: ${node.db.kind})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGHUP', reload);
  node.log.info('shutting down');
  await dimseServer?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await node.close();
  return 0;
}

export function listen(node: Node, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = node.app.listen(port, host);
    // Large STOW bodies are streamed for minutes: no request timeout, but idle sockets close.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 65_000;
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
