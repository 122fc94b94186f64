import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linearFit, type LinearFit } from './stats.js';

export interface ExperimentResult {
  startedAt: string;
  size: Record<string, number>;
  /** Generation 0 (root.ts); absent in runs from models/leg-demo (results-lr*.json, results-demo-root.json). */
  root?: { sha256: string; steps: number; slices: number; seconds: number; heldOutT1: number; spec: unknown };
  centralValidation?: { seeds: number[]; contrasts: unknown[]; slices: number };
  /** The central server's steps along a merged update (absent in runs before it existed: [1]). */
  serverSteps?: number[];
  centralEpsilon?: number;
  /** Seed set of the run (sites.ts SEED_SET; absent before issue 20: 0). */
  seedSet?: number;
  /** The product settings the run used, as loaded from config/default.yaml (issue 20 item 1). */
  product?: { recipe: unknown; learningEpsilon: number; federationEpsilon: number; central: Record<string, unknown> };
  sites: { name: string; contrast: string; anatomyVariation: number; inRoot?: boolean }[];
  /** Held-out mean Dice of central generation g on each site's held-out phantoms: dice[site][g]. */
  dice: Record<string, Record<number, number>>;
  /** Held-out Dice of each site's active model after each round (it may refuse a generation). */
  activeDice: Record<string, number[]>;
  rounds: { round: number; centralGeneration: number; newGeneration: boolean; contributors: string[]; localGate: { accepted: boolean; trainSeconds: number; reasons: string[] }[]; uploads: number; pulls: { outcome: string; reasons: string[] }[]; queues: Record<string, number>[]; central?: ({ status: string | null; reason: string | null } | null)[]; seconds?: number }[];
  outage: null | { round: number; pendingWhileDown: number[]; attemptsWhileDown: number[]; lastErrorWhileDown: string | null; segmentedWhileDown: number[]; restartedSite: string; pendingAfterRestart: number; restartedAt: number };
  poison: null | { uploaded: boolean; status: string | null; reason: string | null; rootBefore: string; rootAfter: string; rootMoved: boolean };
  lost: null | { queues: Record<string, Record<string, number>> };
  seconds: number;
}

const DAFNE_SLOPE = 0.0073;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

export function analyse(r: ExperimentResult) {
  const names = r.sites.map((s) => s.name);
  const gens = [...new Set(names.flatMap((n) => Object.keys(r.dice[n]!).map(Number)))].filter((g) => names.every((n) => r.dice[n]![g] !== undefined)).sort((a, b) => a - b);
  const mean = gens.map((g) => names.reduce((a, n) => a + r.dice[n]![g]!, 0) / names.length);
  const fit: LinearFit = linearFit(gens, mean);
  const perSite = Object.fromEntries(names.map((n) => [n, linearFit(gens, gens.map((g) => r.dice[n]![g]!))]));
  const last = gens[gens.length - 1]!;
  const gain = Object.fromEntries(names.map((n) => [n, r.dice[n]![last]! - r.dice[n]![0]!]));
  const worstLoss = Object.fromEntries(names.map((n) => [n, Math.max(0, ...gens.slice(1).map((g, i) => r.dice[n]![gens[i]!]! - r.dice[n]![g]!))]));
  // What each site actually ran: its active model after each round (it refuses generations its own gate rejects).
  const worstActiveLoss = Math.max(0, ...names.flatMap((n) => r.activeDice[n]!.map((d, i) => (i === 0 ? r.dice[n]![0]! : r.activeDice[n]![i - 1]!) - d)));
  // The must-show's site: the fat-suppressed one (the contrast furthest from the root's T1); every site whose contrast the root never saw is reported.
  const unseen = r.sites.find((s) => /fat-suppressed/.test(s.contrast))?.name ?? names[names.length - 1]!;
  const absent = r.sites.filter((s) => r.root && !s.inRoot).map((s) => s.name);
  const lostRows = r.lost ? Object.values(r.lost.queues).reduce((a, q) => a + (q.pending ?? 0) + (q.failed ?? 0) + (q['sent:queued'] ?? 0) + (q['sent:merging'] ?? 0), 0) : NaN;
  const checks = [
    { what: `held-out Dice rises: slope of the mean ${fit.slope.toFixed(4)}/generation (95 % CI ${fit.ci95[0].toFixed(4)}…${fit.ci95[1].toFixed(4)}) > Dafne's ${DAFNE_SLOPE}`, ok: fit.slope > DAFNE_SLOPE },
    { what: `unseen-contrast site (${unseen}) gains ${gain[unseen]!.toFixed(3)} ≥ 0.10${absent.length ? ` (every site whose contrast the root never saw: ${absent.map((n) => `${n} ${(gain[n]! >= 0 ? '+' : '') + gain[n]!.toFixed(3)}`).join(', ')})` : ''}`, ok: gain[unseen]! >= 0.1 },
    { what: `no generation the central server accepted loses more than 0.005 on any site's held-out set (worst ${Math.max(...Object.values(worstLoss)).toFixed(4)}: ${names.map((n) => `${n} ${worstLoss[n]!.toFixed(4)}`).join(', ')})`, ok: Math.max(...Object.values(worstLoss)) <= 0.005 },
    { what: `no site ever activated a generation that lost more than 0.005 on its held-out set (worst change of the active model ${(-worstActiveLoss).toFixed(4)})`, ok: worstActiveLoss <= 0.005 },
    { what: `poisoned upload rejected (${r.poison?.status ?? 'n/a'}), root unchanged, reason readable by the site`, ok: r.poison?.status === 'rejected' && !r.poison.rootMoved && Boolean(r.poison.reason) },
    { what: `central server down in round ${r.outage?.round ?? '—'}: sites kept segmenting, deltas delivered later, ${lostRows} lost or unresolved`, ok: Boolean(r.outage && r.outage.segmentedWhileDown.every((n) => n > 0) && r.outage.pendingWhileDown.some((n) => n > 0)) && lostRows === 0 },
  ];
  return { names, gens, mean, fit, perSite, gain, worstLoss, worstActiveLoss, checks };
}

function svg(r: ExperimentResult, a: ReturnType<typeof analyse>): string {
  const W = 640, H = 380, L = 60, R = 200, T = 30, B = 50;
  const all = a.names.flatMap((n) => a.gens.map((g) => r.dice[n]![g]!));
  const y0 = Math.floor(Math.min(...all) * 20) / 20, y1 = Math.ceil(Math.max(...all) * 20) / 20;
  const gMax = Math.max(...a.gens, 1);
  const X = (g: number) => L + ((W - L - R) * g) / gMax, Y = (d: number) => H - B - ((H - T - B) * (d - y0)) / (y1 - y0 || 1);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="${L}" y="18" font-size="14">Held-out mean Dice per central generation, per site</text>`);
  for (let d = y0; d <= y1 + 1e-9; d += 0.05) out.push(`<line x1="${L}" x2="${W - R}" y1="${Y(d)}" y2="${Y(d)}" stroke="#ddd"/><text x="${L - 6}" y="${Y(d) + 4}" text-anchor="end">${d.toFixed(2)}</text>`);
  for (const g of a.gens) out.push(`<text x="${X(g)}" y="${H - B + 16}" text-anchor="middle">${g}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">generation</text>`);
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>`);
  a.names.forEach((n, i) => {
    const pts = a.gens.map((g) => `${X(g).toFixed(1)},${Y(r.dice[n]![g]!).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`);
    out.push(`<line x1="${W - R + 12}" x2="${W - R + 32}" y1="${T + 20 * i}" y2="${T + 20 * i}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/><text x="${W - R + 36}" y="${T + 20 * i + 4}">${n}</text>`);
  });
  const mp = a.gens.map((g, i) => `${X(g).toFixed(1)},${Y(a.mean[i]!).toFixed(1)}`).join(' ');
  out.push(`<polyline points="${mp}" fill="none" stroke="black" stroke-width="2" stroke-dasharray="5,4"/>`);
  const k = a.names.length;
  out.push(`<line x1="${W - R + 12}" x2="${W - R + 32}" y1="${T + 20 * k}" y2="${T + 20 * k}" stroke="black" stroke-dasharray="5,4" stroke-width="2"/><text x="${W - R + 36}" y="${T + 20 * k + 4}">mean (slope ${a.fit.slope.toFixed(4)})</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** The server step of the round's published generation, read from the central server's sentence (1 when absent). */
function serverStep(x: ExperimentResult['rounds'][number]): number {
  for (const c of x.central ?? []) {
    const m = c?.status === 'accepted' ? /at server step ([\d.]+): [^;]*published/.exec(c.reason ?? '') : null;
    if (m) return Number(m[1]);
  }
  return 1;
}

const recipeText = (x: unknown) => {
  const r = x as { learningRate: number; epochs: number; batchSize: number; rehearsal: number; l2Pull: number };
  return `lr ${r.learningRate}, ${r.epochs} epochs, batch ${r.batchSize}, rehearsal ${r.rehearsal}×, l2Pull ${r.l2Pull}`;
};

/** Per round without a new generation: why (the central server's reason, or the local gates'). */
export function stalls(r: ExperimentResult): string[] {
  const out = r.rounds.filter((x) => !x.newGeneration).map((x) => {
    const said = (x.central ?? []).find((c) => c?.reason)?.reason;
    const local = x.localGate.map((g, i) => (g.accepted ? null : `${r.sites[i]?.name}: ${g.reasons.filter((t) => /loses|must improve/.test(t)).join('; ')}`)).filter(Boolean);
    return `round ${x.round}: ${x.uploads ? (said ?? 'no final outcome recorded') : 'no site uploaded'}${local.length ? ` (local gates refused: ${local.join(' | ')})` : ''}`;
  });
  return out.length ? out : ['every round published a generation'];
}

function markdown(r: ExperimentResult, a: ReturnType<typeof analyse>): string {
  const f = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
  const lines = [
    `Run ${r.startedAt}, ${r.seconds.toFixed(0)} s, ${r.sites.length} sites + central as separate processes, ${r.rounds.length} rounds (results: \`experiments/federation/results.json\`, plot: [federation-dice.svg](federation-dice.svg)).`,
    ...(r.root ? ['', `Root (generation 0, \`root.ts\`): ${r.root.steps} steps on ${r.root.slices} T1 slices from seeded initial weights (${r.root.seconds.toFixed(0)} s), held-out T1 Dice ${r.root.heldOutT1.toFixed(3)}, sha256 ${r.root.sha256.slice(0, 12)}…; ${r.product ? `product defaults (config/default.yaml): recipe ${recipeText(r.product.recipe)}, local gate ε ${r.product.learningEpsilon}, central ε ${r.centralEpsilon}, site validation ${(r.product.central.siteValidation as { enabled?: boolean } | undefined)?.enabled ? 'on' : 'off'}` : `sites' recipe: lr ${r.size.learningRate}, l2Pull ${r.size.l2Pull ?? 0}, ${r.size.epochs} epochs`}, ${r.size.phantomsPerRound}×${r.size.slicesPerPhantom} slices per round; central validation: ${r.centralValidation?.seeds.length ?? '?'} phantoms × ${r.centralValidation?.slices ?? '?'} slices over ${r.centralValidation?.contrasts.length ?? '?'} contrasts; server steps ${(r.serverSteps ?? [1]).join(', ')}; held-out ${r.size.heldOutPhantoms}×${r.size.heldOutSlices} slices per site.`] : []),
    '',
    `| generation | ${a.names.map((n) => `${n} (${r.sites.find((s) => s.name === n)!.contrast})`).join(' | ')} | mean |`,
    `|---|${a.names.map(() => '---').join('|')}|---|`,
    ...a.gens.map((g, i) => `| ${g} | ${a.names.map((n) => f(r.dice[n]![g])).join(' | ')} | ${f(a.mean[i])} |`),
    `| gain | ${a.names.map((n) => (a.gain[n]! >= 0 ? '+' : '') + a.gain[n]!.toFixed(3)).join(' | ')} | ${(a.mean[a.mean.length - 1]! - a.mean[0]!).toFixed(3)} |`,
    `| slope / gen (95 % CI) | ${a.names.map((n) => `${a.perSite[n]!.slope.toFixed(4)} (${a.perSite[n]!.ci95[0].toFixed(4)}…${a.perSite[n]!.ci95[1].toFixed(4)})`).join(' | ')} | ${a.fit.slope.toFixed(4)} (${a.fit.ci95[0].toFixed(4)}…${a.fit.ci95[1].toFixed(4)}) |`,
    '',
    'Rounds: ' + r.rounds.map((x) => `${x.round}: ${x.uploads} uploads → ${x.newGeneration ? `gen ${x.centralGeneration}${serverStep(x) !== 1 ? ` (server step ${serverStep(x)})` : ''}` : 'no new generation'}`).join('; ') + '.',
    '',
    'Why a round published nothing (the central gate\'s reason, as the sites read it):',
    ...stalls(r).map((t) => `- ${t}`),
    '',
    ...a.checks.map((c) => `- ${c.ok ? '✅' : '❌'} ${c.what}`),
  ];
  if (r.poison?.reason) lines.push(`- poisoned site read: “${r.poison.reason}”`);
  return lines.join('\n');
}

/** Writes results.json, docs/federation-dice.svg and the table between the simulation markers of docs/federation.md. */
export function writeReport(r: ExperimentResult, rootDir: string, file = 'results.json'): string {
  const a = analyse(r);
  if (file !== 'results.json') {
    // One seed set of `--seeds`: its results file and plot; seeds.ts writes the docs table over all sets.
    writeFileSync(path.join(rootDir, 'experiments/federation', file), JSON.stringify({ ...r, analysis: { gens: a.gens, mean: a.mean, fit: a.fit, perSite: a.perSite, gain: a.gain, worstLoss: a.worstLoss, checks: a.checks } }, null, 2));
    writeFileSync(path.join(rootDir, `docs/federation-dice-seed-${r.seedSet}.svg`), svg(r, a));
    return markdown(r, a);
  }
  writeFileSync(path.join(rootDir, 'experiments/federation/results.json'), JSON.stringify({ ...r, analysis: { gens: a.gens, mean: a.mean, fit: a.fit, perSite: a.perSite, gain: a.gain, worstLoss: a.worstLoss, checks: a.checks } }, null, 2));
  writeFileSync(path.join(rootDir, 'docs/federation-dice.svg'), svg(r, a));
  const md = markdown(r, a);
  const doc = path.join(rootDir, 'docs/federation.md');
  const begin = '<!-- simulation-results:begin -->', end = '<!-- simulation-results:end -->';
  let text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Federation\n';
  if (text.includes(begin) && text.includes(end)) text = text.slice(0, text.indexOf(begin) + begin.length) + '\n' + md + '\n' + text.slice(text.indexOf(end));
  else text += `\n${begin}\n${md}\n${end}\n`;
  writeFileSync(doc, text);
  return md;
}
