import test from 'ava';
import { createHash } from 'node:crypto';
import { generateKeyPair, verify } from '../../src/federation/signing.js';
import { makeDelta, readDelta } from '../../src/federation/delta.js';
import { getFloat32Initializer, readOnnx } from '../../src/inference/onnx/onnx-io.js';
import { createPrivateKey } from 'node:crypto';
import { hashToken } from '../../src/http/auth.js';
import { startCentral, type Harness, type Site } from './central-harness.js';
import { along, degrade, demoOnnx, randomLike } from './demo-fixtures.js';

/**
 * The central role in-process over real HTTP, real PGlite, real phantom validation (issue 7,
 * deliverables 1–4). The root is the demo model with noise (central Dice ≈ 0.63); honest sites move it
 * back towards the trained weights; poisoned ones scale, flip or randomise such an update.
 */
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const demo = demoOnnx();
const root0 = degrade(demo, 0.3, 11);
const goodA = along(root0, demo, 0.5);
const goodB = along(root0, degrade(demo, 0.05, 21), 0.5);

let h: Harness;
let a: Site, b: Site, c: Site;
const uploads: Record<string, string> = {};

test.before(async () => {
  h = await startCentral({ auth: { tokens: [{ name: 'operator', sha256: hashToken('operator-secret'), roles: ['admin'] }] } });
  await h.addRoot(root0);
  [a, b, c] = [await h.site('site-a'), await h.site('site-b'), await h.site('site-c')];
});
test.after.always(async () => h?.close());

const json = async (r: Response) => (await r.json()) as Record<string, any>;

test.serial('public key is open; everything else needs a site token; models and signed generations are listed', async (t) => {
  const key = await json(await fetch(`${h.url}/federation/v1/public-key`));
  t.is(key.algorithm, 'ed25519');
  t.is(key.publicKeyPem, h.central.publicKeyPem);
  t.is((await fetch(`${h.url}/federation/v1/models`)).status, 401);
  t.is((await fetch(`${h.url}/federation/v1/models`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  const models = await json(await a.get('/federation/v1/models'));
  t.deepEqual(models.models, [{ id: 'leg-demo', name: 'Lower leg muscles (demo, synthetic phantoms)', latest: { generation: 0, sha256: sha256(root0) } }]);
  const file = await a.get('/federation/v1/models/leg-demo/generations/0/model.onnx');
  const bytes = Buffer.from(await file.arrayBuffer());
  t.true(bytes.equals(root0));
  t.is(file.headers.get('x-dafne-sha256'), sha256(root0));
  t.true(verify(bytes, Buffer.from(file.headers.get('x-dafne-signature')!, 'base64'), key.publicKeyPem));
  const card = await json(await a.get('/federation/v1/models/leg-demo/generations/0/model.json'));
  t.is(card.generation, 0);
  const info = await json(await a.get('/federation/v1/models/leg-demo'));
  t.is(info.generations[0].validation.centralDice > 0.5, true, 'the root was scored on the central phantom set');
  t.is((await a.get('/federation/v1/models/leg-demo/generations/7/model.onnx')).status, 404);
});

test.serial('upload: 202 queued, idempotent by payload, refused with the contract statuses', async (t) => {
  const delta = a.delta(root0, goodA, { trainingSlices: 40 });
  const first = await a.post('/federation/v1/models/leg-demo/deltas', delta);
  t.is(first.status, 202);
  const body = await json(first);
  t.is(body.status, 'queued');
  uploads.a = body.uploadId;
  const again = await json(await a.post('/federation/v1/models/leg-demo/deltas', delta));
  t.is(again.uploadId, body.uploadId, 'the same file again is the same upload');
  t.true(again.duplicate);
  t.like(await json(await a.get(`/federation/v1/uploads/${body.uploadId}`)), { uploadId: body.uploadId, status: 'queued', baseGeneration: 0 });
  t.is((await b.get(`/federation/v1/uploads/${body.uploadId}`)).status, 404, "another site's upload is invisible");

  const payloadAt = 12 + delta.readUInt32LE(8) + 4;
  const tampered = Buffer.from(delta);
  tampered[payloadAt + 100] ^= 0x55;
  const r1 = await a.post('/federation/v1/models/leg-demo/deltas', tampered);
  t.is(r1.status, 422);
  t.regex((await json(r1)).message, /SHA-256/);
  // Signed with a key that is not site-a's registered one.
  const forged = makeDelta(root0, goodA, { modelId: 'leg-demo', siteId: 'site-a', trainingSlices: 40, trainingSeries: 3, localGate: { heldOut: null, benchmark: null, corrections: null }, software: 'x' }, createPrivateKey(generateKeyPair().privateKeyPem));
  const r2 = await a.post('/federation/v1/models/leg-demo/deltas', forged);
  t.is(r2.status, 422);
  t.regex((await json(r2)).message, /signature/);
  // Trained on a generation this server never published.
  const r3 = await a.post('/federation/v1/models/leg-demo/deltas', a.delta(degrade(demo, 0.3, 99), goodA));
  t.is(r3.status, 409);
  t.regex((await json(r3)).message, /unknown base generation/);
  t.is((await a.post('/federation/v1/models/leg-demo/deltas', Buffer.from('not a delta'))).status, 400);
  t.is((await a.post('/federation/v1/models/leg-demo/deltas', delta, 'application/json')).status, 415);
  t.is((await b.post('/federation/v1/models/leg-demo/deltas', delta)).status, 403, 'site-b cannot upload a delta signed as site-a');
  t.is((await a.post('/federation/v1/models/other/deltas', delta)).status, 400);
  t.is((await a.post('/federation/v1/models/leg-demo/deltas', Buffer.alloc(5 * 1024 ** 2))).status, 413);
  // Revocation: the token is known but withdrawn → 403 with the reason.
  const d = await h.site('site-d');
  t.true(await h.central.store.revokeSite('site-d'));
  t.false(await h.central.store.revokeSite('no-such-site'));
  t.is(await h.central.store.requeueMerging(), 0, 'nothing is merging between rounds');
  const r4 = await d.get('/federation/v1/models');
  t.is(r4.status, 403);
  t.regex((await json(r4)).message, /revoked/);
  t.is((await d.post('/federation/v1/models/leg-demo/deltas', d.delta(root0, goodA))).status, 403);
});

test.serial('merge window: honest deltas arriving together are all merged (weighted), poisoned ones screened out with a readable reason', async (t) => {
  const postOk = async (s: Site, file: Buffer) => {
    const r = await s.post('/federation/v1/models/leg-demo/deltas', file);
    t.is(r.status, 202);
    return (await json(r)).uploadId as string;
  };
  uploads.b = await postOk(b, b.delta(root0, goodB, { trainingSlices: 20 }));
  uploads.empty = await postOk(b, b.delta(root0, root0, { trainingSlices: 20 }));
  uploads.x100 = await postOk(c, c.delta(root0, along(root0, goodA, 100)));
  uploads.flip = await postOk(c, c.delta(root0, along(root0, goodA, -1)));
  uploads.random = await postOk(c, c.delta(root0, randomLike(root0, goodA, 3)));
  const [round] = await h.central.merges.tick(true);
  t.truthy(round);
  t.is(round!.published, 1);
  t.log(`root ${round!.rootScore.toFixed(4)} → merged ${round!.candidateScore!.toFixed(4)}`);
  t.deepEqual(new Set(round!.accepted), new Set([uploads.a, uploads.b]));
  t.deepEqual(new Set(round!.rejected), new Set([uploads.x100, uploads.flip, uploads.random]));
  t.deepEqual(round!.skipped, [uploads.empty]);

  // The site that sent poison reads why.
  for (const id of [uploads.x100, uploads.flip, uploads.random]) {
    const u = await json(await c.get(`/federation/v1/uploads/${id}`));
    t.is(u.status, 'rejected');
    t.regex(u.reason, /^screening: applied alone to generation 0, this delta changes central validation Dice 0\.\d{4} → 0\.\d{4}/);
  }
  t.regex((await json(await b.get(`/federation/v1/uploads/${uploads.empty}`))).reason, /empty update/);
  const okA = await json(await a.get(`/federation/v1/uploads/${uploads.a}`));
  t.is(okA.status, 'accepted');
  t.is(okA.generation, 1);

  // Published: parent = root hash, both contributors, higher central Dice.
  const info = await json(await a.get('/federation/v1/models/leg-demo'));
  const g1 = info.generations.find((g: { generation: number }) => g.generation === 1);
  t.is(g1.parentSha256, sha256(root0));
  t.deepEqual(g1.contributors, ['site-a', 'site-b']);
  t.true(g1.validation.centralDice > g1.validation.parentCentralDice);
  t.is(info.latest.generation, 1);

  // No update lost: generation 1 = root + (40·ΔA + 20·ΔB) / 60, from the deltas as the server decoded them.
  const onnx1 = Buffer.from(await (await a.get('/federation/v1/models/leg-demo/generations/1/model.onnx')).arrayBuffer());
  const dA = readDelta(a.delta(root0, goodA, { trainingSlices: 40 }), a.publicKeyPem).tensors;
  const dB = readDelta(b.delta(root0, goodB, { trainingSlices: 20 }), b.publicKeyPem).tensors;
  const m0 = readOnnx(root0), m1 = readOnnx(onnx1);
  let checked = 0;
  for (const name of ['down0.conv1.weight', 'bottom.conv2.weight', 'head.bias', 'up0.weight']) {
    const w0 = getFloat32Initializer(m0, name), w1 = getFloat32Initializer(m1, name);
    const da = dA.get(name)!, db = dB.get(name)!;
    for (let i = 0; i < w0.length; i++) {
      const want = w0[i]! + (40 * da[i]! + 20 * db[i]!) / 60;
      t.true(Math.abs(w1[i]! - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${name}[${i}] ${w1[i]} vs ${want}`);
      checked++;
    }
  }
  t.true(checked > 1000);
});

test.serial('a poisoned delta alone does not move the root', async (t) => {
  const g1 = Buffer.from(await (await a.get('/federation/v1/models/leg-demo/generations/1/model.onnx')).arrayBuffer());
  const r = await c.post('/federation/v1/models/leg-demo/deltas', c.delta(g1, along(g1, goodA, 100)));
  const id = (await json(r)).uploadId as string;
  const [round] = await h.central.merges.tick(true);
  t.is(round!.published, null);
  t.deepEqual(round!.rejected, [id]);
  const u = await json(await c.get(`/federation/v1/uploads/${id}`));
  t.is(u.status, 'rejected');
  t.regex(u.reason, /screening: applied alone to generation 1/);
  const info = await json(await a.get('/federation/v1/models/leg-demo'));
  t.is(info.latest.generation, 1);
  t.is(info.latest.sha256, sha256(g1));
});

test.serial('the central gate rejects a merged candidate that loses more than ε (screening off), and says so', async (t) => {
  const g1 = Buffer.from(await (await a.get('/federation/v1/models/leg-demo/generations/1/model.onnx')).arrayBuffer());
  const cfg = h.central.config.central;
  const saved = cfg.screenEpsilon;
  cfg.screenEpsilon = 1; // every delta passes screening: the gate alone must stop this one
  try {
    const r = await c.post('/federation/v1/models/leg-demo/deltas', c.delta(g1, along(g1, demo, -1)));
    const id = (await json(r)).uploadId as string;
    const [round] = await h.central.merges.tick(true);
    t.is(round!.published, null);
    const u = await json(await c.get(`/federation/v1/uploads/${id}`));
    t.is(u.status, 'rejected');
    t.regex(u.reason, /^central gate: merged candidate of 1 delta\(s\): central validation Dice .* loses more than ε 0\.005 against generation 1/);
    t.is((await json(await a.get('/federation/v1/models/leg-demo'))).latest.generation, 1);
  } finally {
    cfg.screenEpsilon = saved;
  }
});

test.serial('a delta trained on an older generation is still merged, as a delta, into the current root', async (t) => {
  const g1 = Buffer.from(await (await a.get('/federation/v1/models/leg-demo/generations/1/model.onnx')).arrayBuffer());
  const late = b.delta(root0, along(root0, demo, 0.3), { trainingSlices: 10 });
  const id = (await json(await b.post('/federation/v1/models/leg-demo/deltas', late))).uploadId as string;
  const [round] = await h.central.merges.tick(true);
  t.is(round!.published, 2, `root ${round!.rootScore} candidate ${round!.candidateScore}`);
  const u = await json(await b.get(`/federation/v1/uploads/${id}`));
  t.like(u, { status: 'accepted', generation: 2, baseGeneration: 0 });
  const g2 = readOnnx(Buffer.from(await (await b.get('/federation/v1/models/leg-demo/generations/2/model.onnx')).arrayBuffer()));
  const d = readDelta(late, b.publicKeyPem).tensors.get('head.weight')!;
  const w1 = getFloat32Initializer(readOnnx(g1), 'head.weight'), w2 = getFloat32Initializer(g2, 'head.weight');
  for (let i = 0; i < d.length; i++) t.true(Math.abs(w2[i]! - (w1[i]! + d[i]!)) <= 1e-6, `head.weight[${i}]`);
});

test.serial('Dafne-compatible aliases: api_key in the body', async (t) => {
  const post = (name: string, body: Record<string, unknown>) => fetch(`${h.url}/federation/v1/dafne/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.is((await post('get_available_models', {})).status, 401);
  t.is((await post('get_available_models', { api_key: 'wrong' })).status, 401);
  t.deepEqual(await json(await post('get_available_models', { api_key: a.token })), { models: ['leg-demo'] });
  const info = await json(await post('info_model', { api_key: a.token, model_type: 'leg-demo' }));
  t.is(info.latest_timestamp, 2);
  t.is(info.hashes['0'], sha256(root0));
  const latest = await post('get_model', { api_key: a.token, model_type: 'leg-demo' });
  t.is(latest.headers.get('x-dafne-generation'), '2');
  t.is(sha256(Buffer.from(await latest.arrayBuffer())), info.hash);
  const g0 = await post('get_model', { api_key: a.token, model_type: 'leg-demo', timestamp: 0 });
  t.is(sha256(Buffer.from(await g0.arrayBuffer())), sha256(root0));
  const g2 = Buffer.from(await (await a.get('/federation/v1/models/leg-demo/generations/2/model.onnx')).arrayBuffer());
  const up = await post('upload_model', { api_key: a.token, model_type: 'leg-demo', delta: a.delta(g2, along(g2, demo, 0.2)).toString('base64') });
  t.is(up.status, 202);
  t.is((await json(up)).status, 'queued');
  t.is((await post('upload_model', { api_key: a.token, model_type: 'leg-demo', model: 'pickle' })).status, 400);
});

test.serial('operators (role admin) register, list and revoke sites over HTTP; sites cannot', async (t) => {
  const op = { authorization: 'Bearer operator-secret', 'content-type': 'application/json' };
  const keys = generateKeyPair();
  const body = JSON.stringify({ siteId: 'site-e', publicKeyPem: keys.publicKeyPem });
  t.is((await fetch(`${h.url}/federation/v1/sites`, { method: 'POST', headers: { ...op, authorization: `Bearer ${a.token}` }, body })).status, 403);
  const r = await fetch(`${h.url}/federation/v1/sites`, { method: 'POST', headers: op, body });
  t.is(r.status, 201);
  const { token } = await json(r);
  t.is((await fetch(`${h.url}/federation/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  t.is((await fetch(`${h.url}/federation/v1/sites`, { method: 'POST', headers: op, body })).status, 409);
  t.is((await fetch(`${h.url}/federation/v1/sites`, { method: 'POST', headers: op, body: JSON.stringify({ siteId: 'site-f', publicKeyPem: 'nonsense' }) })).status, 400);
  const list = await json(await fetch(`${h.url}/federation/v1/sites`, { headers: op }));
  t.true(list.sites.some((x: { siteId: string; revokedAt: string | null }) => x.siteId === 'site-e' && x.revokedAt === null));
  t.is((await fetch(`${h.url}/federation/v1/sites/site-e/revoke`, { method: 'POST', headers: op })).status, 200);
  t.is((await fetch(`${h.url}/federation/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status, 403);
  t.is((await fetch(`${h.url}/federation/v1/sites/nobody/revoke`, { method: 'POST', headers: op })).status, 404);
});
