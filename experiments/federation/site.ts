import path from 'node:path';
import pino from 'pino';
import { BlobStore } from '../../src/archive/blob-store.js';
import { loadConfig } from '../../src/config/load.js';
import { openDatabase } from '../../src/db/data-source.js';
import { FederationClient } from '../../src/federation/client/federation-client.js';
import { floatInitializers } from '../../src/federation/delta-tensors.js';
import { ModelRegistry } from '../../src/inference/model-registry.js';
import { getFloat32Initializer, readOnnx, setFloat32Initializer, writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { DEMO_MODEL_ID } from '../../src/learning/demo-model.js';
import { ensureDemoModel } from '../../src/learning/ensure-demo.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { runGate } from '../../src/learning/gate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { recipe, type RecipeInput } from '../../src/learning/recipe.js';
import { referenceSets } from '../../src/learning/reference-data.js';
import { concatNonEmpty, type SliceSet } from '../../src/learning/slice-set.js';
import { fileURLToPath } from 'node:url';
import { SIZE, type SiteSpec } from './sites.js';

const ROOT_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * One simulated site as its own process (forked by run.ts, commands over IPC): its own data dir and
 * embedded database, registry with the demo model as root, the real federation client. Reviews are
 * simulated from phantom ground truth: the "corrected masks" are the phantom's labels.
 */
const spec = JSON.parse(process.env.FED_SITE!) as SiteSpec;
const central = JSON.parse(process.env.FED_CENTRAL!) as { url: string; token: string; publicKeyPem: string };
const dir = process.env.FED_DIR!;
const log = pino({ level: process.env.FED_LOG ?? 'warn' }, pino.destination(path.join(dir, 'site.log')));

const db = await openDatabase({ embeddedDir: path.join(dir, 'db') });
const blobs = new BlobStore(path.join(dir, 'models'), false);
await blobs.init();
const registry = new ModelRegistry(db, blobs);
// Generation 0 = the simulation's root (root.ts), the same package the central server registered.
await ensureDemoModel(registry, undefined, process.env.FED_ROOT);
const card = (await registry.active(DEMO_MODEL_ID)).card;
const labels = card.labels.length;
const setOpts = { contrasts: [spec.contrast], anatomyVariation: spec.anatomyVariation };
const heldOut: SliceSet = phantomSet(card, { ...setOpts, seeds: Array.from({ length: SIZE.heldOutPhantoms }, (_, i) => spec.seedBase + i), slices: SIZE.heldOutSlices });
// The product's configuration (config/default.yaml through the product's loader, issue 20 item 1):
// learning recipe, local gate and federation client settings are what a site ships with. Only the
// connection (URL, site name, token, central key) and the loop timing (seconds instead of minutes:
// the experiment's rounds are minutes apart, not nights) are set here.
const product = loadConfig({ DAFNE_CONFIG: path.join(ROOT_DIR, 'config/default.yaml') });
const cfg = {
  ...product.federation,
  centralUrl: central.url, siteId: spec.name, token: central.token, centralPublicKeyPem: central.publicKeyPem,
  // The orchestrator asks for pulls at the end of each round; the schedule stays for completeness.
  pullSchedule: '0 3 * * *', uploadIntervalSeconds: 1, retryBaseSeconds: 1, retryMaxSeconds: 4,
};
const learning = product.learning;
const r0 = recipe(learning.recipe as RecipeInput);
// The learning service's sets (learning-service.ts): the card's reference data, rehearsed (recipe.rehearsal)
// together with the series earlier runs trained on, and checked by the gate against the root's score.
const reference = referenceSets(card, { rehearsal: r0.rehearsal > 0, check: true });
const rootReference = reference?.check ? (await evaluateDice((await registry.package(DEMO_MODEL_ID, 0)).onnx, reference.check, labels)).mean : undefined;
const trainedBefore: SliceSet[] = [];
const client = new FederationClient(cfg, { db, registry, log, dataDir: dir, localSets: async () => ({ heldOut }) });
client.start();

type Msg = { id: number; cmd: string; round?: number };

async function handle(m: Msg): Promise<unknown> {
  switch (m.cmd) {
    case 'hello':
      return { publicKeyPem: client.publicKeyPem, heldOutSlices: heldOut.count };
    case 'eval': {
      const active = await registry.active(DEMO_MODEL_ID);
      const t0 = performance.now();
      const d = await evaluateDice(active.onnx, heldOut, labels);
      // "Keeps segmenting": this is an ORT inference over the held-out slices on the active model.
      return { dice: d.mean, perLabel: d.perLabel, sha256: active.sha256, slices: d.slices, ms: performance.now() - t0 };
    }
    case 'round':
      return round(m.round!);
    case 'flush': {
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        await client.queue.drain(new Date(Date.now() + 3600_000));
        if (!(await client.queue.counts()).pending) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      await client.queue.refreshOutcomes().catch(() => 0);
      return client.status();
    }
    case 'outcomes':
      await client.queue.refreshOutcomes();
      return client.status();
    case 'pull': {
      const [o] = await client.pullAll();
      return o;
    }
    case 'status':
      return client.status();
    case 'exit':
      await client.stop();
      await db.close();
      setImmediate(() => process.exit(0));
      return 'bye';
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
}

async function round(r: number): Promise<unknown> {
  const active = await registry.active(DEMO_MODEL_ID);
  const seeds = Array.from({ length: SIZE.phantomsPerRound }, (_, i) => spec.seedBase + 100 + r * 10 + i);
  let corrections = phantomSet(card, { ...setOpts, contrasts: [spec.contrast, ...(spec.alsoScans ?? [])], seeds, slices: SIZE.slicesPerPhantom });
  if (spec.poison) corrections = { ...corrections, masks: corrections.masks.map((v) => (v === 0 ? 0 : (v % labels) + 1)) };
  const t0 = performance.now();
  const rehearsal = r0.rehearsal > 0 ? concatNonEmpty([reference?.rehearsal, ...trainedBefore]) : undefined;
  const cand = await fineTuneCandidate(active, corrections, r0, undefined, rehearsal);
  const trainMs = performance.now() - t0;
  const gate = await runGate(active.onnx, cand.onnx, { heldOut, corrections, ...(reference?.check ? { reference: reference.check } : {}) }, labels, { epsilon: learning.epsilon, minImprovement: learning.minImprovement, referenceFloor: rootReference });
  let onnx = cand.onnx;
  if (spec.poison) onnx = signFlip(active.onnx, cand.onnx, 3); // a malicious site: no local gate, and worse than useless
  else if (!gate.accepted) return { accepted: false, reasons: gate.reasons, trainMs, uploadRow: null };
  trainedBefore.push(corrections); // the learning service rehearses series accepted runs trained on
  const uploadRow = await client.federateCandidate(DEMO_MODEL_ID, Buffer.from(onnx), active.sha256, {
    trainingSlices: corrections.count, trainingSeries: seeds.length,
    localGate: { heldOut: gate.candidate.heldOut ?? null, benchmark: null, corrections: gate.candidate.corrections ?? null },
  });
  // Governance: the site admin approves the delta (federation.autoApprove is false by default), as
  // POST /api/v1/federation/uploads/:id/approve does.
  const approved = uploadRow && !cfg.autoApprove ? await client.decideUpload(uploadRow, true, 'site-admin (simulated)') : null;
  return { accepted: gate.accepted, poisoned: spec.poison ?? false, reasons: gate.reasons, trainMs, uploadRow, approvedBy: approved?.approvedBy ?? null, slices: corrections.count };
}

/** base − k·(candidate − base) on the trained weights (BN running statistics untouched). */
function signFlip(base: Uint8Array, candidate: Uint8Array, k: number): Buffer {
  const b = readOnnx(base), c = readOnnx(candidate);
  for (const t of floatInitializers(c)) {
    if (/\.bn\.(mean|var)$/.test(t.name)) continue;
    const wb = getFloat32Initializer(b, t.name), wc = getFloat32Initializer(c, t.name);
    for (let i = 0; i < wc.length; i++) wc[i] = wb[i]! - k * (wc[i]! - wb[i]!);
    setFloat32Initializer(c, t.name, wc);
  }
  return writeOnnx(c);
}

process.on('message', (m: Msg) => {
  handle(m).then(
    (value) => process.send!({ id: m.id, ok: true, value }),
    (err: Error) => process.send!({ id: m.id, ok: false, error: err.stack ?? err.message }),
  );
});
process.send!({ id: 0, ok: true, value: 'ready' });
