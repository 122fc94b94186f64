/**
 * Exploration for issue 15 (not the experiment): does the gate's reference check see the loss the
 * whole-series evaluation of the original style shows? Fine-tunes the demo model in process as a
 * learning run does (product recipe, card reference rehearsal) on the first N corrected series of a
 * seed set, then scores base and candidate per phantom: on the card's check phantoms (model grid),
 * on the experiment's original-style phantoms on the model grid, and through the full pipeline.
 */
import { loadModelPackage } from '../../src/inference/model-package.js';
import { OnnxRunner } from '../../src/inference/onnx-runner.js';
import { segmentAnyPlane } from '../../src/inference/segment-plane.js';
import { countLabels, evaluateDice, summarise } from '../../src/learning/evaluate.js';
import { fineTuneCandidate } from '../../src/learning/learning-cycle.js';
import { toModelGrid } from '../../src/learning/model-grid.js';
import { phantomOptions } from '../../src/learning/phantom-data.js';
import { recipe } from '../../src/learning/recipe.js';
import { referenceSets } from '../../src/learning/reference-data.js';
import { labelledSlices } from '../../src/learning/review-data.js';
import { concatSets } from '../../src/learning/slice-set.js';
import { legPhantom, type MrContrast } from '../../src/phantom/leg-phantom.js';
import { diceOf } from '../planes/dice.js';
import { originalCase, seedSet, siteCase } from './site-data.js';

const arg = (k: string, d: string): string => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const pkg = await loadModelPackage('models/leg-demo');
const card = pkg.card;
const L = card.labels.length;
const set = Number(arg('set', '6'));
const n = Number(arg('n', '2'));
const seeds = seedSet(set, { train: n, heldOut: 0, original: 3 });
const train = concatSets(seeds.train.map((s, i) => { const c = siteCase(s, i); return labelledSlices(c.volume, c.labels, card); }));
const ref = referenceSets(card)!;
const r = recipe({});
const t0 = Date.now();
const cand = await fineTuneCandidate(pkg, train, r, undefined, ref.rehearsal!);
console.log(`set ${set}, ${n} series, ${train.count} slices, trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const CHECK: MrContrast[] = ['T1', 'T2', 'PD'];
const checkSeeds = Array.from({ length: card.reference!.check[1] }, (_, i) => card.reference!.check[0] + i);
const evalSeeds = arg('eval', '').split(',').filter(Boolean).map(Number);
const origSeeds = evalSeeds.length ? evalSeeds : seeds.original;

async function perPhantomGrid(onnx: Uint8Array, list: number[]): Promise<number[]> {
  const runner = await OnnxRunner.create(onnx);
  try {
    const out: number[] = [];
    for (const [i, s] of list.entries()) {
      const p = legPhantom(phantomOptions(s, CHECK[i % 3]!));
      const c = await countLabels(runner, toModelGrid(p.volume, p.labels, card), L);
      out.push(summarise(c.inter, c.truth, c.pred, L, 14).mean);
      if (process.argv.includes('--describe') && onnx === pkg.onnx) { const o = phantomOptions(s, CHECK[i % 3]!); console.log(`  ${s} ${CHECK[i % 3]} ${o.rows} ${o.pixelSpacing?.[0]} noise ${o.noise?.toFixed(0)} bias ${o.biasField?.toFixed(2)} scale ${o.intensityScale?.toFixed(2)}`); }
    }
    return out;
  } finally { await runner.close(); }
}
async function perPhantomPipeline(onnx: Uint8Array, list: number[]): Promise<number[]> {
  const runner = await OnnxRunner.create(onnx);
  try {
    const out: number[] = [];
    for (const [i, s] of list.entries()) {
      const c = originalCase(s, i);
      const res = await segmentAnyPlane(c.volume, { ...pkg, onnx: Buffer.from(onnx) }, runner, { backproject: null });
      out.push(diceOf(res.labels.data, c.labels.data, L).meanLabel);
    }
    return out;
  } finally { await runner.close(); }
}
const fmt = (a: number[]): string => a.map((x) => x.toFixed(3)).join(' ');
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
for (const [name, onnx] of [['base', pkg.onnx], ['cand', cand.onnx]] as const) {
  const pooled = (await evaluateDice(onnx, ref.check!, L)).mean;
  const chk = await perPhantomGrid(onnx, checkSeeds);
  const og = await perPhantomGrid(onnx, origSeeds);
  const op = await perPhantomPipeline(onnx, origSeeds);
  console.log(`${name}: check pooled ${pooled.toFixed(4)} per-phantom mean ${mean(chk).toFixed(4)} [${fmt(chk)}] | original grid ${mean(og).toFixed(4)} [${fmt(og)}] | original pipeline ${mean(op).toFixed(4)} [${fmt(op)}]`);
}
