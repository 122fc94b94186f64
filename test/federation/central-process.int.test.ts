import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrivateKey } from 'node:crypto';
import { makeDelta } from '../../src/federation/delta.js';
import { generateKeyPair, verify } from '../../src/federation/signing.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';
import { along, degrade, demoCardJson, demoOnnx } from './demo-fixtures.js';

/**
 * `dafne-node central` as an operator runs it (compiled CLI, separate process, its own data dir and
 * embedded database): model and sites registered with the CLI, two sites upload deltas over HTTP,
 * the merge window (min 2 uploads) closes by itself, and generation 1 is published with both as
 * contributors, signed by the central key.
 */
const run = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let central: NodeProcess | undefined;
const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-central-proc-'));
test.after.always(async () => {
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('central process: CLI registration, two sites upload over HTTP, a generation with both contributors is published', async (t) => {
  const configFile = path.join(dir, 'central.yaml');
  writeFileSync(configFile, ['storage:', '  fsync: false', 'central:', '  minUploads: 2', '  maxWaitSeconds: 3600', '  checkIntervalSeconds: 0.2', '  siteValidation: { enabled: false }', '  validation:', '    seeds: [9001, 9002]', '    slices: 3', ''].join('\n'));
  const env = { ...process.env, DAFNE_DATA_DIR: dir, DAFNE_CONFIG: configFile, LOG_LEVEL: 'warn' };
  const cli = async (...args: string[]) => (await run(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'central', ...args], { env, cwd: REPO_ROOT })).stdout;

  const demo = demoOnnx();
  const root = degrade(demo, 0.3, 11);
  const pkg = path.join(dir, 'root-package');
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'model.onnx'), root);
  writeFileSync(path.join(pkg, 'model.json'), JSON.stringify(demoCardJson()));
  t.regex(await cli('model', 'add', pkg), /added leg-demo generation 0/);

  // One after the other: the embedded database belongs to one process at a time.
  const sites: { name: string; token: string; privateKey: ReturnType<typeof createPrivateKey> }[] = [];
  for (const name of ['site-a', 'site-b']) {
    const keys = generateKeyPair();
    const keyFile = path.join(dir, `${name}.pub.pem`);
    writeFileSync(keyFile, keys.publicKeyPem);
    const out = await cli('site', 'add', name, '--public-key', keyFile);
    sites.push({ name, token: /token[^:]*: (\S+)/.exec(out)![1]!, privateKey: createPrivateKey(keys.privateKeyPem) });
  }
  const listed = await cli('site', 'list');
  t.regex(listed, /^\s*site-a\s.*\bactive\b/m);
  t.regex(listed, /^\s*site-b\s.*\bactive\b/m);

  const proc = await startNodeProcess({ dataDir: dir, command: ['central'], env: { DAFNE_CONFIG: configFile, LOG_LEVEL: 'warn' } });
  central = proc;
  const url = proc.url;
  const key = ((await (await fetch(`${url}/federation/v1/public-key`)).json()) as { publicKeyPem: string }).publicKeyPem;

  const ids: string[] = [];
  for (const [i, s] of sites.entries()) {
    const updated = along(root, i === 0 ? demo : degrade(demo, 0.05, 21), 0.5);
    const file = makeDelta(root, updated, { modelId: 'leg-demo', siteId: s.name, trainingSlices: 30 + 10 * i, trainingSeries: 2, localGate: { heldOut: 0.8, benchmark: 0.79, corrections: 0.86 }, software: 'dafne-node test' }, s.privateKey);
    const r = await fetch(`${url}/federation/v1/models/leg-demo/deltas`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/vnd.dafne.delta' }, body: file });
    t.is(r.status, 202);
    ids.push(((await r.json()) as { uploadId: string }).uploadId);
  }
  const outcome = async (i: number) => (await (await fetch(`${url}/federation/v1/uploads/${ids[i]}`, { headers: { authorization: `Bearer ${sites[i]!.token}` } })).json()) as { status: string; generation?: number; reason?: string };
  const done = await waitFor(async () => {
    const o = await Promise.all([outcome(0), outcome(1)]);
    return o.every((x) => x.status !== 'queued' && x.status !== 'merging') ? o : undefined;
  }, 90_000, 'the merge window to close');
  t.log(done.map((o) => o.reason).join('\n'));
  t.deepEqual(done.map((o) => [o.status, o.generation]), [['accepted', 1], ['accepted', 1]]);

  const auth = { authorization: `Bearer ${sites[0]!.token}` };
  const info = (await (await fetch(`${url}/federation/v1/models/leg-demo`, { headers: auth })).json()) as { generations: { generation: number; parentSha256: string | null; contributors: string[]; sha256: string }[] };
  const g1 = info.generations.find((g) => g.generation === 1)!;
  t.deepEqual(g1.contributors, ['site-a', 'site-b']);
  t.is(g1.parentSha256, sha256(root));
  const res = await fetch(`${url}/federation/v1/models/leg-demo/generations/1/model.onnx`, { headers: auth });
  const onnx = Buffer.from(await res.arrayBuffer());
  t.is(sha256(onnx), g1.sha256);
  t.true(verify(onnx, Buffer.from(res.headers.get('x-dafne-signature')!, 'base64'), key), 'signed by the central key');
});
