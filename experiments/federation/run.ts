/**
 * `npm run experiment:federation` (issue 7 item 6, docs/federation.md "Simulation"): a central server
 * and four sites as separate processes, each site with its own data dir, embedded database, phantom
 * contrast and anatomy variation (one contrast the root model never saw), for SIZE.generations rounds:
 * each round every site fine-tunes its active model on new phantom "corrections" (reviews simulated
 * from phantom ground truth), gates it locally, uploads the delta, the central server merges and
 * gates, and every site pulls, verifies and gates the new generation. One round runs with the central
 * server down (and one site restarted); at the end a poisoned site uploads alone.
 * Writes experiments/federation/results.json, docs/federation-dice.svg and the table in docs/federation.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateSiteKey } from '../../src/federation/signing.js';
import { DEMO_MODEL_ID } from '../../src/learning/demo-model.js';
import { CentralProcess, freePort } from './central-process.js';
import { writeReport, type ExperimentResult } from './report.js';
import { trainRoot } from './root.js';
import { SiteProcess } from './site-process.js';
import { loadConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/http/auth.js';
import { recipe, type RecipeInput } from '../../src/learning/recipe.js';
import { POISON_SITE, SEED_SET, SITES, SIZE, type SiteSpec } from './sites.js';

const ROOT_DIR = fileURLToPath(new URL('../../../', import.meta.url));
// `--seeds 11,12,13`: one whole run per seed set, each in its own process, then mean and spread (seeds.ts).
const seedsAt = process.argv.indexOf('--seeds');
if (seedsAt >= 0) {
  const { runSeedSets } = await import('./seeds.js');
  await runSeedSets((process.argv[seedsAt + 1] ?? '').split(',').filter(Boolean).map(Number), ROOT_DIR);
  process.exit(0);
}
// The product's defaults (issue 20 item 1): what the central server and the sites run is config/default.yaml.
const product = loadConfig({ DAFNE_CONFIG: path.join(ROOT_DIR, 'config/default.yaml') });
const work = process.env.FED_WORK ?? path.join(os.tmpdir(), `dafne-federation-${Date.now()}`);
mkdirSync(work, { recursive: true });
const t0 = Date.now();
const say = (s: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
say(`work dir ${work}; ${SITES.length} sites, ${SIZE.generations} rounds, outage in round ${SIZE.outageRound}`);

// Generation 0: a weak T1-only root trained here (root.ts), registered at the central server and every site.
// FED_ROOT_DIR: one root shared by the seed sets of `--seeds` (trained once, reused: identical seeds, identical weights).
const root = await trainRoot(process.env.FED_ROOT_DIR ?? path.join(work, 'root'));
process.env.FED_ROOT = root.dir;
say(`root: ${root.steps} steps on ${root.slices} T1 slices in ${root.seconds.toFixed(0)} s, held-out T1 Dice ${root.heldOutT1.toFixed(3)}`);

/** The central merge window's wait (s); the orchestrator waits this plus 300 s for a round's outcome. */
const MAX_WAIT = Number(process.env.FED_MAX_WAIT ?? 20);
// Only the merge window is this consortium's own: it closes when all four sites' deltas are in (or
// after MAX_WAIT s), instead of 3 deltas / 10 minutes. Everything else is config/default.yaml's central.
const centralConfig = { ...product.central, minUploads: SITES.length, maxWaitSeconds: MAX_WAIT, checkIntervalSeconds: 0.5 };
// The consortium operator's token (auth.tokens, role admin): the poisoned site joins over HTTP at the
// end, so no proposal of the rounds waits for a site that is not there yet.
const operatorToken = randomBytes(32).toString('base64url');
const central = new CentralProcess(path.join(work, 'central'), await freePort(), centralConfig, [{ name: 'operator', sha256: hashToken(operatorToken), roles: ['admin'] }]);
await central.cli('model', 'add', root.dir);

/** Site key first (the operator registers the public key), then the token `central site add` prints. */
async function register(spec: SiteSpec): Promise<{ dir: string; token: string }> {
  const dir = path.join(work, spec.name);
  const key = loadOrCreateSiteKey(path.join(dir, 'federation'));
  const keyFile = path.join(work, `${spec.name}.pub.pem`);
  writeFileSync(keyFile, key.publicKeyPem);
  const out = await central.cli('site', 'add', spec.name, '--public-key', keyFile);
  const token = out.match(/[A-Za-z0-9_-]{32,}/g)?.pop();
  if (!token) throw new Error(`no token in the output of central site add: ${out}`);
  return { dir, token };
}

// The operator commands open the central's embedded database: run them before the server holds it.
const reg = new Map<string, { dir: string; token: string }>();
for (const s of SITES) reg.set(s.name, await register(s));
await central.start();
const anyToken = reg.get(SITES[0]!.name)!.token;
const publicKeyPem = ((await central.json('/public-key', anyToken)) as { publicKeyPem: string }).publicKeyPem;
const startSite = async (spec: SiteSpec) => {
  const { dir, token } = reg.get(spec.name)!;
  const p = new SiteProcess(spec, dir, { url: central.url, token, publicKeyPem });
  await p.start();
  return p;
};
const sites = await Promise.all(SITES.map(startSite));
say(`central ${central.url} and ${sites.length} sites up`);

const latest = async () => {
  const info = (await central.json(`/models/${DEMO_MODEL_ID}`, anyToken)) as { generations: { generation: number; sha256: string; contributors?: string[] }[] };
  return info.generations.reduce((a, g) => (g.generation > a.generation ? g : a));
};

const result: ExperimentResult = {
  startedAt: new Date().toISOString(), size: SIZE,
  root: { sha256: root.sha256, steps: root.steps, slices: root.slices, seconds: root.seconds, heldOutT1: root.heldOutT1, spec: root.spec },
  seedSet: SEED_SET,
  product: { recipe: recipe(product.learning.recipe as RecipeInput), learningEpsilon: product.learning.epsilon, federationEpsilon: product.federation.epsilon, central: centralConfig },
  centralValidation: product.central.validation as ExperimentResult['centralValidation'], serverSteps: product.central.serverSteps, centralEpsilon: product.central.epsilon,
  sites: SITES.map((s) => ({ name: s.name, contrast: s.contrastName, anatomyVariation: s.anatomyVariation, inRoot: s.inRoot ?? false })),
  dice: Object.fromEntries(SITES.map((s) => [s.name, {} as Record<number, number>])),
  activeDice: Object.fromEntries(SITES.map((s) => [s.name, [] as number[]])),
  rounds: [], outage: null, poison: null, lost: null, seconds: 0,
};
for (const [i, s] of sites.entries()) result.dice[SITES[i]!.name]![0] = (await s.call<{ dice: number }>('eval')).dice;
say(`root held-out Dice: ${SITES.map((s) => `${s.name} ${result.dice[s.name]![0]!.toFixed(3)}`).join(', ')}`);

async function waitForRound(before: number, uploads: number): Promise<void> {
  // A new generation, or every upload of the round has a final outcome (all rejected / skipped).
  for (const deadline = Date.now() + (MAX_WAIT + 300) * 1000; Date.now() < deadline; ) {
    if ((await latest()).generation > before) return;
    if (uploads === 0) return;
    const open = await Promise.all(sites.map((s) => s.call<{ queue: Record<string, number> }>('outcomes')));
    if (open.every((st) => !Object.keys(st.queue).some((k) => k === 'pending' || k === 'sent:queued' || k === 'sent:merging' || k === 'sent:validating'))) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('the central server produced no outcome for the round in time');
}

for (let r = 1; r <= SIZE.generations; r++) {
  const roundStart = Date.now();
  const before = (await latest()).generation;
  const outage = r === SIZE.outageRound;
  if (outage) {
    await central.stop();
    say(`round ${r}: central server DOWN`);
  }
  const trained = await Promise.all(sites.map((s) => s.call<{ accepted: boolean; reasons: string[]; trainMs: number; uploadRow: string | null }>('round', { round: r })));
  if (outage) {
    type St = { queue: Record<string, number>; uploads: { attempts: number; lastError: string | null }[] };
    // Let the upload loops fail a few times (backoff 1, 2, 4 s): every pending delta tried at least twice.
    let during: St[] = [];
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 500))) {
      during = await Promise.all(sites.map((s) => s.call<St>('status')));
      if (during.every((d) => !d.queue.pending || (d.uploads[0]?.attempts ?? 0) >= 2)) break;
    }
    const segmenting = await Promise.all(sites.map((s) => s.call<{ dice: number; slices: number }>('eval')));
    // Restart one site while its delta waits: the queue is in its database.
    const vi = Math.max(0, during.findIndex((d) => (d.queue.pending ?? 0) > 0));
    const victim = sites[vi]!;
    await victim.stop();
    sites[vi] = await startSite(victim.spec);
    const afterRestart = await sites[vi]!.call<{ queue: Record<string, number>; uploads: { attempts: number; lastError: string | null }[] }>('status');
    const downFor = Date.now();
    await central.start();
    result.outage = {
      round: r,
      pendingWhileDown: during.map((d) => d.queue.pending ?? 0),
      attemptsWhileDown: during.map((d) => d.uploads[0]?.attempts ?? 0),
      lastErrorWhileDown: during[vi]!.uploads[0]?.lastError ?? null,
      segmentedWhileDown: segmenting.map((s) => s.slices),
      restartedSite: victim.spec.name,
      pendingAfterRestart: afterRestart.queue.pending ?? 0,
      restartedAt: downFor,
    };
    say(`round ${r}: while down: pending ${result.outage.pendingWhileDown.join('/')}, attempts ${result.outage.attemptsWhileDown.join('/')}, segmented ${result.outage.segmentedWhileDown.join('/')} slices; ${victim.spec.name} restarted with ${result.outage.pendingAfterRestart} pending; central back up`);
  }
  const flushed = await Promise.all(sites.map((s) => s.call<{ queue: Record<string, number> }>('flush')));
  const uploads = trained.filter((x) => x.uploadRow).length;
  await waitForRound(before, uploads);
  // What the central server said about each site's upload of this round (its latest upload).
  const said = await Promise.all(sites.map((s) => s.call<{ uploads: { remoteStatus: string | null; remoteReason: string | null }[] }>('outcomes')));
  const pulls = await Promise.all(sites.map((s) => s.call<{ outcome: string; centralGeneration?: number; reasons: string[]; scores?: { heldOut?: { active: number; candidate: number } } }>('pull')));
  const gen = await latest();
  for (const [i, p] of pulls.entries()) {
    const name = SITES[i]!.name;
    if (p.scores?.heldOut && p.centralGeneration !== undefined) result.dice[name]![p.centralGeneration] = p.scores.heldOut.candidate;
    result.activeDice[name]!.push((await sites[i]!.call<{ dice: number }>('eval')).dice);
  }
  result.rounds.push({
    round: r, centralGeneration: gen.generation, newGeneration: gen.generation > before, contributors: gen.contributors ?? [],
    localGate: trained.map((x) => ({ accepted: x.accepted, trainSeconds: x.trainMs / 1000, reasons: x.reasons })),
    uploads, pulls: pulls.map((p) => ({ outcome: p.outcome, reasons: p.reasons })), queues: flushed.map((f) => f.queue),
    central: trained.map((x, i) => (x.uploadRow ? { status: said[i]!.uploads[0]?.remoteStatus ?? null, reason: said[i]!.uploads[0]?.remoteReason ?? null } : null)),
    seconds: (Date.now() - roundStart) / 1000,
  });
  say(`round ${r}: ${uploads} uploads → central generation ${gen.generation}${gen.generation > before ? ' (new)' : ' (none)'}; pulls ${pulls.map((p) => p.outcome).join('/')}; Dice ${SITES.map((s) => result.dice[s.name]![gen.generation]?.toFixed(3) ?? '—').join(' ')}`);
}

// Poisoned site: permuted-label training, sign-flipped ×3 delta, no local gate, alone in its window.
{
  const rootBefore = await latest();
  const dir = path.join(work, POISON_SITE.name);
  const key = loadOrCreateSiteKey(path.join(dir, 'federation'));
  const added = (await central.post('/sites', operatorToken, { siteId: POISON_SITE.name, publicKeyPem: key.publicKeyPem })) as { token: string };
  reg.set(POISON_SITE.name, { dir, token: added.token });
  const poison = await startSite(POISON_SITE);
  await poison.call('pull');
  const trained = await poison.call<{ uploadRow: string | null }>('round', { round: 99 });
  await poison.call('flush');
  let st: { uploads: { remoteStatus: string | null; remoteReason: string | null }[] } = await poison.call('outcomes');
  for (const deadline = Date.now() + (MAX_WAIT + 300) * 1000; Date.now() < deadline && !['accepted', 'rejected', 'skipped'].includes(st.uploads[0]?.remoteStatus ?? ''); ) {
    await new Promise((r) => setTimeout(r, 1000));
    st = await poison.call('outcomes');
  }
  const rootAfter = await latest();
  result.poison = { uploaded: trained.uploadRow !== null, status: st.uploads[0]?.remoteStatus ?? null, reason: st.uploads[0]?.remoteReason ?? null, rootBefore: rootBefore.sha256, rootAfter: rootAfter.sha256, rootMoved: rootBefore.sha256 !== rootAfter.sha256 };
  say(`poisoned site: upload ${result.poison.status}; root moved: ${result.poison.rootMoved}; reason: ${result.poison.reason}`);
  await poison.stop();
}

// Nothing lost: every delta any site queued reached the central server and has a final outcome.
const finals = await Promise.all(sites.map((s) => s.call<{ queue: Record<string, number> }>('outcomes')));
result.lost = { queues: Object.fromEntries(SITES.map((s, i) => [s.name, finals[i]!.queue])) };
for (const s of sites) await s.stop();
await central.stop();
result.seconds = (Date.now() - t0) / 1000;
const summary = writeReport(result, ROOT_DIR, SEED_SET === 0 ? 'results.json' : `results-seed-${SEED_SET}.json`);
say(summary);
