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
  dafne-node central site exclude NAME [--reason TEXT]   its deltas are no longer merged (undo: site include)
  dafne-node central site include NAME
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
    // What each site contributed, so the operator can judge whom to exclude.
    const contributions = new Map((await central.store.contributions()).map((c) => [c.siteId, c]));
    for (const s of sites) {
      const c = contributions.get(s.siteId);
      const state = s.revokedAt ? `REVOKED ${s.revokedAt.toISOString()}` : s.excludedAt ? `EXCLUDED ${s.excludedAt.toISOString()}${s.excludedReason ? ` (${s.excludedReason})` : ''}` : 'active';
      const uploads = Object.entries(c?.uploads ?? {}).map(([k, n]) => `${k} ${n}`).join(', ') || 'no uploads';
      process.stdout.write(`${s.siteId}  registered ${s.createdAt.toISOString()}  ${state}  uploads: ${uploads}; ${c?.trainingSlices ?? 0} slices merged; generations ${c?.generations.join(', ') || '-'}\n`);
    }
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
  if (sub === 'site' && (verb === 'exclude' || verb === 'include') && name) {
    const at = rest.indexOf('--reason');
    const reason = at >= 0 ? (rest[at + 1] ?? null) : null;
    if (!(await central.store.setExcluded(name, verb === 'exclude', reason))) {
      process.stderr.write(`dafne-node central: no site "${name}"\n`);
      return 1;
    }
    process.stdout.write(verb === 'exclude' ? `site ${name} excluded: its deltas are rejected at the merge and its reports are not waited for\n` : `site ${name} included in merges again\n`);
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
