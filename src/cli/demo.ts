import type { Config } from '../config/schema.js';
import { newUid } from '../dicom/synthetic-mr.js';
import { legLabels } from '../phantom/leg-labels.js';
import { legPhantom } from '../phantom/leg-phantom.js';
import { writeLegSeries } from '../phantom/write-series.js';
import { readSeg } from '../seg/seg-reader.js';
import { REVIEW_MODE_ROUTE, VIEWER_BASE } from '../viewer/app-config.js';
import { DemoError, NodeClient } from './demo-http.js';

/** The model the node ships and registers on first start (src/learning/ensure-demo.ts). */
export const DEMO_MODEL_ID = 'leg-demo';
/** The routing rule the demo adds: it matches only series with this description. */
export const DEMO_RULE_ID = 'dafne-demo';
export const DEMO_SERIES_DESCRIPTION = 'Dafne demo leg phantom';

export interface ModelView {
  id: string;
  name: string;
  active: { generation: number; sha256: string; origin: string } | null;
}
interface ResultView {
  sourceSeriesInstanceUid: string;
  segSeriesInstanceUid: string;
  segSopInstanceUid: string;
  modelId: string;
  generation: number;
}
interface EvaluationView {
  outcome: string;
  jobs: unknown;
}
interface JobView {
  id: string;
  state: string;
  reason: string | null;
  progressMessage: string | null;
}

const USAGE = 'usage: dafne-node demo [--url http://HOST:PORT] [--token TOKEN] [--model ID] [--seed N] [--timeout SECONDS]\n';

/**
 * `dafne-node demo` (DESIGN §3): a synthetic leg-phantom MR study with exact ground truth goes
 * through the whole pipeline of a running node, as a PACS would send it: STOW-RS → series
 * stability → a routing rule → the inference job → a DICOM SEG in the node's archive. Then the SEG
 * is read back over WADO-RS and compared with the phantom's ground truth (Dice), and the viewer URL
 * is printed.
 *
 * It talks to a running node over HTTP and never opens the node's data directory: with the
 * embedded database (PGlite) one process owns it (docs/operations.md).
 */
export async function demoCommand(config: Config, args: string[]): Promise<number> {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const flags = ['--url', '--token', '--model', '--seed', '--timeout'];
  for (let i = 0; i < args.length; i += 2) {
    if (!flags.includes(args[i]!) || args[i + 1] === undefined) {
      process.stderr.write(USAGE);
      return 64;
    }
  }
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  const url = (opt('--url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`).replace(/\/+$/, '');
  const seed = Number(opt('--seed') ?? Math.floor(Math.random() * 1e6));
  const timeoutMs = Number(opt('--timeout') ?? 600) * 1000;
  if (!Number.isInteger(seed) || !(timeoutMs > 0)) {
    process.stderr.write(USAGE);
    return 64;
  }
  const node = new NodeClient(url, opt('--token') ?? process.env.DAFNE_TOKEN);
  try {
    await run(node, { seed, timeoutMs, model: opt('--model') });
    return 0;
  } catch (e) {
    if (!(e instanceof DemoError)) throw e;
    process.stderr.write(`dafne-node demo: ${e.message}\n`);
    return e.exitCode;
  }
}

/**
 * The model the demo runs: `--model` if given (it must exist), else the demo model, else the first
 * model with an active generation, with a note that says it is not the demo model (a node whose
 * registry was filled before its first start has no demo model: ensure-demo.ts registers it only
 * into an empty registry).
 */
export function chooseModel(models: readonly ModelView[], asked: string | undefined): { model: ModelView; note?: string } {
  const usable = models.filter((m) => m.active);
  const model = usable.find((m) => m.id === (asked ?? DEMO_MODEL_ID));
  if (model) return { model };
  if (asked) throw new DemoError(`the node has no model "${asked}" with an active generation (models: ${usable.map((m) => m.id).join(', ') || 'none'})`, 69);
  const fallback = usable[0];
  if (!fallback) throw new DemoError('the node has no model at all: register the demo model with "dafne-node model add models/leg-demo" (a node registers it by itself only when it starts with an empty registry)', 69);
  return {
    model: fallback,
    note: `NOTE: the demo model "${DEMO_MODEL_ID}" is not registered in this node; falling back to "${fallback.id}" (${fallback.name}), which is not the demo model: Dice is reported only for segments named like the phantom's muscles`,
  };
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function run(node: NodeClient, o: { seed: number; timeoutMs: number; model: string | undefined }): Promise<void> {
  const health = await node.request('GET', '/healthz');
  if (!health.ok) throw new DemoError(`the node at ${node.baseUrl} is not healthy (GET /healthz: HTTP ${health.status})`, 69);
  say(`node: ${node.baseUrl}`);

  // 1. Which model: the one asked for, else the shipped demo model, else say plainly what runs instead.
  const models = (await node.json<{ models: ModelView[] }>('GET', '/api/v1/models'))?.models ?? [];
  const { model, note } = chooseModel(models, o.model);
  if (note) say(note);
  say(`model: ${model.id} generation ${model.active!.generation} (${model.active!.origin}, sha256 ${model.active!.sha256.slice(0, 12)}) — ${model.id === DEMO_MODEL_ID ? 'the demo model, trained on synthetic phantoms only' : 'NOT the demo model'}`);

  // 2. A routing rule that sends the demo series (and only those) to that model.
  const rule = { name: 'dafne-node demo: synthetic leg phantoms', when: { SeriesDescription: { equals: DEMO_SERIES_DESCRIPTION, ignoreCase: false } }, model: model.id, quietSeconds: 2, review: 'immediate', destinations: [] };
  const existing = await node.json<{ model: string; enabled?: boolean; quietSeconds?: number }>('GET', `/api/v1/rules/${DEMO_RULE_ID}`);
  if (!existing) {
    await node.json('POST', '/api/v1/rules', { id: DEMO_RULE_ID, ...rule });
    say(`routing rule "${DEMO_RULE_ID}" added (SeriesDescription = "${DEMO_SERIES_DESCRIPTION}" → ${model.id}); remove it with DELETE /api/v1/rules/${DEMO_RULE_ID}`);
  } else if (existing.model !== model.id || existing.enabled === false || existing.quietSeconds !== rule.quietSeconds) {
    await node.json('PUT', `/api/v1/rules/${DEMO_RULE_ID}`, rule);
    say(`routing rule "${DEMO_RULE_ID}" updated to run ${model.id}`);
  } else say(`routing rule "${DEMO_RULE_ID}" present`);

  // 3. The phantom: new UIDs every run, so the node sees new content (the same content is never re-run).
  const study = newUid();
  const phantom = legPhantom({ seed: o.seed, slices: 16, sliceSpacing: 8, contrast: 'T1', studyInstanceUid: study, seriesInstanceUid: newUid(), frameOfReferenceUid: newUid() });
  const series = await writeLegSeries(phantom.volume, {
    seriesDescription: DEMO_SERIES_DESCRIPTION,
    studyDescription: 'Dafne demo (synthetic)',
    patientName: 'DEMO^LEG PHANTOM',
    patientId: `DAFNE-DEMO-${o.seed}`,
    contrast: 'T1',
  });
  const v = phantom.volume;
  say(`study: ${study}`);
  say(`series: ${series.seriesInstanceUID} (leg phantom, seed ${o.seed}: ${v.slices} slices of ${v.columns}×${v.rows}, ${v.spacing[0].toFixed(2)} mm pixels, T1)`);
  const stored = await node.stow(series.files);
  say(`stored ${stored} instances by STOW-RS; waiting for routing and inference...`);

  // 4. Wait for the AI result, reporting routing and job states, failing fast with the node's reason.
  const t0 = Date.now();
  const result = await waitForResult(node, study, series.seriesInstanceUID, t0 + o.timeoutMs);
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  const qido = (await node.json<unknown[]>('GET', `/dicomweb/studies/${study}/series?Modality=SEG`)) ?? [];
  if (!JSON.stringify(qido).includes(result.segSeriesInstanceUid)) throw new DemoError(`the AI result names SEG series ${result.segSeriesInstanceUid}, but QIDO-RS does not find it in study ${study}`);
  say(`SEG: series ${result.segSeriesInstanceUid} made by ${result.modelId} generation ${result.generation} in ${seconds} s after the upload${result.modelId === DEMO_MODEL_ID ? '' : ' (NOT the demo model)'}`);

  // 5. Dice of the stored SEG against the phantom's exact ground truth, per muscle (by name).
  const seg = readSeg(await node.instance(study, result.segSeriesInstanceUid, result.segSopInstanceUid), { ...phantom.labels, sources: series.sources });
  const truthByName = new Map(legLabels('muscles').map((l) => [l.name, l.value]));
  const scores: string[] = [];
  const dice: number[] = [];
  for (const s of seg.segments) {
    const g = truthByName.get(s.label.replace(/_(L|R)$/, ''));
    if (g === undefined) continue;
    let inter = 0, truth = 0, pred = 0;
    const a = phantom.labels.data, b = seg.labels.data;
    for (let i = 0; i < a.length; i++) {
      const t = a[i] === g, p = b[i] === s.labelValue;
      if (t) truth++;
      if (p) pred++;
      if (t && p) inter++;
    }
    if (truth + pred === 0) continue;
    const d = (2 * inter) / (truth + pred);
    dice.push(d);
    scores.push(`${s.label} ${d.toFixed(3)}`);
  }
  if (dice.length === 0) {
    say(`Dice against the phantom ground truth: not available: no segment of this model is a phantom muscle (segments: ${seg.segments.map((s) => s.label).join(', ')})`);
  } else {
    const mean = dice.reduce((x, y) => x + y, 0) / dice.length;
    say(`Dice against the phantom ground truth: mean ${mean.toFixed(3)} over ${dice.length} muscles (${scores.join(', ')})`);
  }
  say(`see it: ${node.baseUrl}${VIEWER_BASE}${REVIEW_MODE_ROUTE}?StudyInstanceUIDs=${study}`);
  say(`worklist: ${node.baseUrl}/review`);
}

async function waitForResult(node: NodeClient, study: string, seriesUid: string, deadline: number): Promise<ResultView> {
  let last = '';
  const note = (s: string): void => {
    if (s !== last) say(`  ${s}`);
    last = s;
  };
  for (let delay = 250; ; delay = Math.min(delay * 1.5, 2000)) {
    const results = (await node.json<ResultView[]>('GET', `/api/v1/results?study=${study}`)) ?? [];
    const mine = results.find((r) => r.sourceSeriesInstanceUid === seriesUid);
    if (mine) return mine;
    const evaluation = (await node.json<EvaluationView[]>('GET', `/api/v1/evaluations?series=${seriesUid}&limit=1`))?.[0];
    if (evaluation && evaluation.outcome !== 'matched') {
      throw new DemoError(`routing did not send the series to a model (outcome "${evaluation.outcome}"); see GET /api/v1/evaluations?series=${seriesUid}`);
    }
    if (!evaluation) note('waiting for the series to become stable (quiet period)');
    else {
      const ids = (Array.isArray(evaluation.jobs) ? evaluation.jobs : []).map((j) => (typeof j === 'string' ? j : (j as { id?: string }).id)).filter((j): j is string => !!j);
      for (const id of ids) {
        const job = await node.json<JobView>('GET', `/api/v1/jobs/${id}`);
        if (!job) continue;
        if (job.state === 'dead-letter' || job.state === 'cancelled') throw new DemoError(`the inference job ${id} ended ${job.state}: ${job.reason ?? 'no reason recorded'}`);
        note(`inference job ${job.state}${job.progressMessage ? `: ${job.progressMessage}` : ''}${job.state === 'retry' && job.reason ? ` (last error: ${job.reason})` : ''}`);
      }
    }
    if (Date.now() > deadline) throw new DemoError(`no SEG within the timeout (last state: ${last || 'none'}); the node's log and GET /api/v1/jobs say more`, 75);
    await new Promise((r) => setTimeout(r, delay));
  }
}
