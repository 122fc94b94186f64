import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { REPO_ROOT, freePort, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { along, degrade, demoCardJson, demoOnnx } from './demo-fixtures.js';
import { sha256 } from './fixtures.js';
import { federationConfig, openSite } from './client-site.js';

/**
 * The node's federation client against the real `dafne-node central` process: a delta queued while
 * the central server is not running is delivered when it comes up, merged (window of 1) and published;
 * the site reads the accepted outcome, pulls the new generation (signature, hash, local gate) and
 * activates it with origin central-merge.
 */
const run = promisify(execFile);
let central: NodeProcess | undefined;
const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-client-central-'));
test.after.always(async () => {
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('site ↔ real central: queued while down, delivered, accepted, pulled and activated', async (t) => {
  const cdir = path.join(dir, 'central');
  mkdirSync(cdir);
  const configFile = path.join(cdir, 'central.yaml');
  writeFileSync(configFile, ['storage:', '  fsync: false', 'central:', '  minUploads: 1', '  maxWaitSeconds: 3600', '  checkIntervalSeconds: 0.2', '  siteValidation: { enabled: false }', '  validation:', '    seeds: [9001, 9002]', '    slices: 3', ''].join('\n'));
  const env = { ...process.env, DAFNE_DATA_DIR: cdir, DAFNE_CONFIG: configFile, LOG_LEVEL: 'warn' };
  const cli = async (...args: string[]) => (await run(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'central', ...args], { env, cwd: REPO_ROOT })).stdout;

  // A weakened root so that a step towards the trained demo weights is a real improvement.
  const root = degrade(demoOnnx(), 0.3, 11);
  const pkg = path.join(dir, 'root');
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'model.onnx'), root);
  writeFileSync(path.join(pkg, 'model.json'), JSON.stringify(demoCardJson()));
  await cli('model', 'add', pkg);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`; // nothing listens here: the central server is down
  // The site's key pair exists before registration: the operator registers its public key.
  const siteDir = path.join(dir, 'site');
  let site = await openSite(federationConfig({ centralUrl: url, siteId: 'site-x', token: 'not-yet' }), { dir: siteDir, root: { onnx: root, card: demoCardJson() } });
  const keyFile = path.join(dir, 'site-x.pub.pem');
  writeFileSync(keyFile, site.client.publicKeyPem);
  const token = /token[^:]*: (\S+)/.exec(await cli('site', 'add', 'site-x', '--public-key', keyFile))![1]!;
  await site.close();

  // The central server is not running yet: the delta waits.
  site = await openSite(federationConfig({ centralUrl: url, siteId: 'site-x', token }), { dir: siteDir });
  const candidate = along(root, demoOnnx(), 0.5);
  await site.client.federateCandidate('leg-demo', candidate, sha256(root), { trainingSlices: 20, trainingSeries: 2, localGate: { heldOut: 0.8, benchmark: null, corrections: 0.85 } });
  await site.client.pump();
  t.deepEqual(await site.client.queue.counts(), { pending: 1 });
  await site.close();

  // The central server comes up (at its own port: the queue row does not depend on the URL).
  central = await startNodeProcess({ dataDir: cdir, command: ['central'], env: { DAFNE_CONFIG: configFile, LOG_LEVEL: 'warn' } });
  const curl = central.url;
  const publicKeyPem = ((await (await fetch(`${curl}/federation/v1/public-key`, { headers: { authorization: `Bearer ${token}` } })).json()) as { publicKeyPem: string }).publicKeyPem;
  site = await openSite(federationConfig({ centralUrl: curl, siteId: 'site-x', token, centralPublicKeyPem: publicKeyPem }), { dir: siteDir });
  try {
    await site.client.queue.drain(new Date(Date.now() + 3600_000));
    const row = await waitFor(async () => {
      await site.client.queue.refreshOutcomes();
      const [r] = await site.client.queue.list();
      return r && ['accepted', 'rejected', 'skipped'].includes(r.remoteStatus ?? '') ? r : undefined;
    }, 120_000, 'the outcome of the upload');
    t.is(row.remoteStatus, 'accepted', row.remoteReason ?? '');
    t.is(row.remoteGeneration, 1);

    const [pull] = await site.client.pullAll();
    t.is(pull!.outcome, 'installed', pull!.reasons.join('; '));
    const active = await site.registry.active('leg-demo');
    t.is(active.card.training.origin, 'central-merge');
    t.is(active.card.parentHash, sha256(root));
    t.not(active.sha256, sha256(root));
  } finally {
    await site.close();
  }
});
