import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { buildCentral, type Central } from '../federation/central/central-app.js';
import { SiteError } from '../federation/central/central-store.js';
import { ModelPackageError } from '../inference/model-package.js';
import { ModelRegistryError } from '../inference/model-registry.js';
import { isLoopbackHost } from '../http/auth.js';
import { createLogger } from '../log.js';

const USAGE = `usage:
  dafne-node central                                    serve the central federation role (/federation/v1)
  dafne-node central site add NAME --public-key FILE    register a site; prints its token once
  dafne-node central site list
  dafne-node central site revoke NAME
  dafne-node central model add PACKAGE_DIR              add a model package as a root generation
  dafne-node central merge                              run a merge round now for every model with queued deltas
With the embedded database, run the site/model/merge commands while the server is stopped
(one process owns PGlite); with DATABASE_URL they work beside it.
`;

export async function centralCommand(config: Config, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) return serveCentral(config);
  if (!['site', 'model', 'merge'].includes(sub)) {
    process.stderr.write(USAGE);
    return 64;
  }
  const central = await buildCentral(config, { log: createLogger('warn', 'dafne-central', 2) });
  try {
    return await admin(central, sub, rest);
  } catch (e) {
    if (e instanceof SiteError || e instanceof ModelPackageError || e instanceof ModelRegistryError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`dafne-node central: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await central.close();
  }
}

async function admin(central: Central, sub: string, rest: string[]): Promise<number> {
  const [verb, name] = rest;
  if (sub === 'site' && verb === 'add' && name) {
    const at = rest.indexOf('--public-key');
    const file = at >= 0 ? rest[at + 1] : undefined;
    if (!file) {
      process.stderr.write(USAGE);
      return 64;
    }
    const token = await central.addSite(name, readFileSync(file, 'utf8'));
    process.stdout.write(`site ${name} registered.\ntoken (give it to the site, for federation.token; it is not stored here): ${token}\n`);
    return 0;
  }
  if (sub === 'site' && verb === 'list') {
    const sites = await central.store.sites();
    if (!sites.length) process.stdout.write('no sites registered (dafne-node central site add NAME --public-key FILE)\n');
    for (const s of sites) process.stdout.write(`${s.siteId}  registered ${s.createdAt.toISOString()}  ${s.revokedAt ? `REVOKED ${s.revokedAt.toISOString()}` : 'active'}\n`);
    return 0;
  }
  if (sub === 'site' && verb === 'revoke' && name) {
    if (!(await central.store.revokeSite(name))) {
      process.stderr.write(`dafne-node central: no site "${name}"\n`);
      return 1;
    }
    process.stdout.write(`site ${name} revoked: its token is refused from now on\n`);
    return 0;
  }
  if (sub === 'model' && verb === 'add' && name) {
    const g = await central.addModel(name);
    process.stdout.write(`added ${g.modelId} generation ${g.generation} (${g.sha256.slice(0, 12)}) as the current root\n`);
    return 0;
  }
  if (sub === 'merge') {
    const results = await central.merges.tick(true);
    if (!results.length) process.stdout.write('no queued deltas\n');
    for (const r of results) {
      process.stdout.write(`${r.modelId}: ${r.published !== null ? `published generation ${r.published}` : 'no new generation'} (accepted ${r.accepted.length}, rejected ${r.rejected.length}, skipped ${r.skipped.length}; root Dice ${r.rootScore.toFixed(4)}${r.candidateScore !== null ? `, candidate ${r.candidateScore.toFixed(4)}` : ''})\n`);
    }
    return 0;
  }
  process.stderr.write(USAGE);
  return 64;
}

async function serveCentral(config: Config): Promise<number> {
  const { host, port } = config.server;
  const central = await buildCentral(config);
  if (config.auth.tokens.length === 0 && !isLoopbackHost(host)) {
    // Sites authenticate with their own tokens; operator tokens are optional. Say what is open.
    central.log.info('no operator tokens configured (auth.tokens); the central role has no operator HTTP endpoints, sites use their own tokens');
  }
  central.merges.start();
  const server = central.app.listen(port, host);
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  central.log.info({ host, port: actualPort, database: central.db.kind, dataDir: config.dataDir }, 'dafne-node central listening');
  process.stdout.write(`dafne-node central ready: http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/federation/v1 (database: ${central.db.kind})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  central.log.info('shutting down');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await central.close();
  return 0;
}
