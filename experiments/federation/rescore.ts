/**
 * Re-scores the generations a run published (not part of the run): `node dist-federation/experiments/
 * federation/rescore.js WORK_DIR SITE [FRESH_PHANTOMS]` prints, for each generation and its change
 * against the previous one, the Dice on the site's contrast of (1) the site's held-out set, (2) a
 * fresh set of the site's population (seeds 73000… of the run's seed set, never used by the run). It tells whether a loss the must-show counts is a real change of the model
 * or the noise of a set (docs/federation.md "Reading the result").
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ModelCard } from '../../src/inference/model-card.js';
import { evaluateDice } from '../../src/learning/evaluate.js';
import { phantomSet } from '../../src/learning/phantom-data.js';
import { SEED_OFFSET, SITES, SIZE } from './sites.js';

const [work, siteName, freshArg] = process.argv.slice(2);
if (!work || !siteName) throw new Error('usage: rescore.js WORK_DIR SITE [FRESH_PHANTOMS]');
const site = SITES.find((s) => s.name === siteName);
if (!site) throw new Error(`no site ${siteName}`);
const rootDir = path.join(work, 'root');
const card = JSON.parse(readFileSync(path.join(rootDir, 'model.json'), 'utf8')) as ModelCard;
const labels = card.labels.length;
// The central server's log names each published generation's sha256 prefix; its blob store holds the file.
const published = readFileSync(path.join(work, 'central/central.log'), 'utf8').split('\n').filter((l) => l.includes('"published a new generation"')).map((l) => JSON.parse(l) as { generation: number; sha256: string });
const blobs = path.join(work, 'central/data/models');
const blob = (prefix: string): string => {
  const a = readdirSync(blobs).find((d) => prefix.startsWith(d))!;
  const b = readdirSync(path.join(blobs, a)).find((d) => prefix.slice(2).startsWith(d))!;
  return path.join(blobs, a, b, readdirSync(path.join(blobs, a, b)).find((f) => f.startsWith(prefix))!);
};
const files = [path.join(rootDir, 'model.onnx'), ...published.sort((a, b) => a.generation - b.generation).map((g) => blob(g.sha256))];
const sets = {
  heldOut: phantomSet(card, { seeds: Array.from({ length: SIZE.heldOutPhantoms }, (_, i) => site.seedBase + i), contrasts: [site.contrast], anatomyVariation: site.anatomyVariation, slices: SIZE.heldOutSlices }),
  fresh: phantomSet(card, { seeds: Array.from({ length: Number(freshArg ?? 60) }, (_, i) => SEED_OFFSET + 73_000 + i), contrasts: [site.contrast], anatomyVariation: site.anatomyVariation, slices: 6 }),
};
let prev: Record<string, number> | null = null;
for (const [g, file] of files.entries()) {
  const onnx = new Uint8Array(readFileSync(file));
  const row: Record<string, number> = {};
  for (const [k, set] of Object.entries(sets)) row[k] = (await evaluateDice(onnx, set, labels)).mean;
  const cell = (k: string) => `${k} ${row[k]!.toFixed(4)}${prev ? ` (${row[k]! - prev[k]! >= 0 ? '+' : '−'}${Math.abs(row[k]! - prev[k]!).toFixed(4)})` : ''}`;
  console.log(`${siteName} gen ${g}: ${Object.keys(sets).map(cell).join('  ')}`);
  prev = row;
}
process.exit(0);
