/**
 * `npm run experiment:federation -- --seeds 11,12,13` (issue 20 item 2): one whole run per seed set
 * (sites.ts SEED_SET: every data seed shifted by k × 1,000,000), each its own process with its own
 * work dir, sequentially (the runs would only compete for the same cores); then the mean and spread
 * over the sets of the must-show numbers, written to experiments/federation/results-seeds.json and
 * between the seed-set markers of docs/federation.md. `node …/seeds.js 11,12,13` aggregates runs
 * that already wrote their results-seed-K.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyse, stalls, type ExperimentResult } from './report.js';

const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** Mean, min–max and the 95 % t interval of the mean over the seed sets. */
export function spread(xs: readonly number[]): { mean: number; min: number; max: number; ci95: [number, number] | null; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const h = n > 1 ? (T975[Math.min(n - 1, T975.length) - 1] ?? 1.96) * (sd / Math.sqrt(n)) : NaN;
  return { mean, min: Math.min(...xs), max: Math.max(...xs), ci95: n > 1 ? [mean - h, mean + h] : null, n };
}

export async function runSeedSets(sets: number[], rootDir: string): Promise<void> {
  if (!sets.length) throw new Error('--seeds needs a comma-separated list of seed sets, e.g. --seeds 11,12,13');
  const run = fileURLToPath(new URL('./run.js', import.meta.url));
  const base = process.env.FED_WORK ?? path.join(os.tmpdir(), `dafne-federation-seeds-${Date.now()}`);
  for (const k of sets) {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [run], { env: { ...process.env, FED_SEED_SET: String(k), FED_WORK: path.join(base, `seed-${k}`), FED_ROOT_DIR: process.env.FED_ROOT_DIR ?? path.join(base, 'root') }, stdio: 'inherit' });
      child.once('exit', resolve);
    });
    if (code !== 0) process.stdout.write(`seed set ${k}: the run exited with ${code}; aggregating the sets that finished\n`);
  }
  process.stdout.write(aggregate(sets, rootDir) + '\n');
}

export function aggregate(sets: number[], rootDir: string): string {
  const dir = path.join(rootDir, 'experiments/federation');
  const runs = sets.filter((k) => existsSync(path.join(dir, `results-seed-${k}.json`))).map((k) => JSON.parse(readFileSync(path.join(dir, `results-seed-${k}.json`), 'utf8')) as ExperimentResult);
  const rows = runs.map((r) => {
    const a = analyse(r);
    const fs = r.sites.find((s) => /fat-suppressed/.test(s.contrast))!.name;
    return {
      seedSet: r.seedSet ?? 0, seconds: r.seconds, generations: a.gens.length - 1, rounds: r.rounds.length,
      slope: a.fit.slope, slopeCi: a.fit.ci95, fsGain: a.gain[fs]!, gains: a.gain, worstLoss: Math.max(...Object.values(a.worstLoss)), worstActiveLoss: a.worstActiveLoss,
      poison: r.poison?.status ?? null, rootMoved: r.poison?.rootMoved ?? null, stalls: stalls(r), finalMean: a.mean[a.mean.length - 1]!, firstMean: a.mean[0]!,
    };
  });
  // Nothing finished: say so and leave the docs as they are (an empty table would read as passed checks).
  if (!rows.length) return `no seed set of ${sets.join(', ')} finished (no results-seed-K.json); nothing written`;
  const slope = spread(rows.map((x) => x.slope)), gain = spread(rows.map((x) => x.fsGain)), worst = spread(rows.map((x) => x.worstLoss));
  writeFileSync(path.join(dir, 'results-seeds.json'), JSON.stringify({ sets, rows, slope, fatSuppressedGain: gain, worstLoss: worst }, null, 2));
  const r4 = (x: number) => x.toFixed(4), r3 = (x: number) => x.toFixed(3);
  const ci = (s: ReturnType<typeof spread>, f: (x: number) => string) => (s.ci95 ? `${f(s.ci95[0])}…${f(s.ci95[1])}` : '—');
  const first = runs[0];
  const md = [
    `${rows.length} seed set(s) (${rows.map((x) => x.seedSet).join(', ')}), each a whole run with the product defaults (config/default.yaml + the recipe), 4 sites + central as separate processes, ${first?.rounds.length ?? '?'} rounds; results \`experiments/federation/results-seed-K.json\`, summary \`results-seeds.json\`, plots \`docs/federation-dice-seed-K.svg\`.`,
    '',
    '| seed set | run time | generations | slope of the mean / gen (95 % CI) | mean Dice gen 0 → last | fat-suppressed gain | T2 / PD / T1 gain | worst loss of a published generation on a site | worst change of an active model | poisoned delta |',
    '|---|---:|---:|---|---|---:|---|---:|---:|---|',
    ...rows.map((x) => `| ${x.seedSet} | ${x.seconds.toFixed(0)} s | ${x.generations} in ${x.rounds} rounds | ${r4(x.slope)} (${r4(x.slopeCi[0])}…${r4(x.slopeCi[1])}) | ${r3(x.firstMean)} → ${r3(x.finalMean)} | +${r3(x.fsGain)} | ${['site-t2', 'site-pd', 'site-t1'].map((n) => `${x.gains[n]! >= 0 ? '+' : ''}${r3(x.gains[n]!)}`).join(' / ')} | ${r4(x.worstLoss)} | ${r4(-x.worstActiveLoss)} | ${x.poison}${x.rootMoved ? ', ROOT MOVED' : ', root unchanged'} |`),
    `| **mean** (min–max; 95 % CI of the mean) | | | **${r4(slope.mean)}** (${r4(slope.min)}–${r4(slope.max)}; ${ci(slope, r4)}) | | **+${r3(gain.mean)}** (${r3(gain.min)}–${r3(gain.max)}; ${ci(gain, r3)}) | | **${r4(worst.mean)}** (max ${r4(worst.max)}) | | |`,
    '',
    ...(rows.length < 3 ? [`- ❌ only ${rows.length} seed set(s) finished: the issue asks for at least 3`] : []),
    `- ${slope.mean >= 0.0073 ? '✅' : '❌'} mean slope ${r4(slope.mean)}/generation ≥ Dafne's 0.0073 (lowest set ${r4(slope.min)})`,
    `- ${gain.mean >= 0.1 ? '✅' : '❌'} fat-suppressed site gains +${r3(gain.mean)} ≥ 0.10 on average (lowest set +${r3(gain.min)})`,
    `- ${worst.max <= 0.005 ? '✅' : '❌'} no published generation lost more than 0.005 on any site's held-out set in any set (worst ${r4(worst.max)})`,
    `- ${rows.every((x) => x.poison === 'rejected' && x.rootMoved === false) ? '✅' : '❌'} poisoned delta rejected, root unchanged, in every set`,
    '',
    'Rounds without a new generation, and why:',
    ...rows.flatMap((x) => x.stalls.map((t) => `- set ${x.seedSet}${t.startsWith('round') ? ', ' : ': '}${t}`)),
  ].join('\n');
  const doc = path.join(rootDir, 'docs/federation.md');
  const begin = '<!-- seed-sets:begin -->', end = '<!-- seed-sets:end -->';
  let text = readFileSync(doc, 'utf8');
  if (text.includes(begin) && text.includes(end)) text = text.slice(0, text.indexOf(begin) + begin.length) + '\n' + md + '\n' + text.slice(text.indexOf(end));
  else text += `\n${begin}\n${md}\n${end}\n`;
  writeFileSync(doc, text);
  return md;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sets = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);
  process.stdout.write(aggregate(sets, fileURLToPath(new URL('../../../', import.meta.url))) + '\n');
}
