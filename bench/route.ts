/**
 * bench:route (issue 4): (a) routing overhead — time from the last instance received by the node
 * to the SEG acknowledged by Orthanc, minus the quiet period, against the inference time alone
 * (segmentSeries in-process on the same series and model; target ratio ≤ 1.3); (b) queue
 * throughput of pg-boss through our Database on PGlite and PostgreSQL (send, and send + process).
 * Prints a markdown table. Env: BENCH_SLICES (default 40), BENCH_JOBS (default 1000),
 * BENCH_PG_URL (default the test PostgreSQL; "skip" to skip it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openDatabase } from '../src/db/data-source.js';
import type { DeliveryView } from '../src/export/deliveries.js';
import { OnnxRunner } from '../src/inference/onnx-runner.js';
import { segmentSeries } from '../src/inference/segment-series.js';
import { JobQueue } from '../src/jobs/queue.js';
import { legPhantom } from '../src/phantom/leg-phantom.js';
import { writeLegSeries } from '../src/phantom/write-series.js';
import { createTestDatabase } from '../test/helpers/databases.js';
import { startOrthanc } from '../test/helpers/orthanc.js';
import { api, registerModel, writeRoutingConfig } from '../test/helpers/routing-fixture.js';
import { startNodeProcess } from '../test/helpers/node-process.js';
import { stowParts } from '../test/helpers/stow-client.js';
import { waitFor } from '../test/helpers/wait.js';
import { benchModel } from './bench-model.js';

const SLICES = Number(process.env.BENCH_SLICES ?? 40);
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const QUIET = 1;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function routeOverhead(): Promise<string[]> {
  const pkg = benchModel();
  const pkgDir = mkdtempSync(path.join(os.tmpdir(), 'bench-model-'));
  writeFileSync(path.join(pkgDir, 'model.onnx'), pkg.onnx);
  writeFileSync(path.join(pkgDir, 'model.json'), JSON.stringify(pkg.card));

  // Inference alone: the same series through segmentSeries, warm, median of 3.
  const series = async (i: number) => writeLegSeries(legPhantom({ seed: 40 + i, rows: 256, columns: 256, slices: SLICES, pixelSpacing: [1, 1] }).volume, { seriesDescription: `bench route ${i}`, patientId: 'BENCH' });
  const first = await series(0);
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 2 });
  const alone: number[] = [];
  // Measured between the routed runs (interleaved), so both see the same machine load.
  const inferAlone = async (): Promise<void> => {
    const t0 = performance.now();
    await segmentSeries(first.files, pkg, runner, { softwareVersion: 'bench' });
    alone.push(performance.now() - t0);
  };
  await segmentSeries(first.files, pkg, runner, { softwareVersion: 'bench' }); // warm-up

  const pacs = await startOrthanc();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-route-'));
  const { config, env } = writeRoutingConfig(dataDir, {
    destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web` }],
    rules: [{ id: 'bench', quietSeconds: QUIET, when: { Modality: 'MR' }, model: pkg.card.id, destinations: ['pacs'] }],
    config: { log: { level: 'warn' } },
  });
  const pkgEnv = { ...env };
  await registerModel(dataDir, pkgEnv).catch(() => undefined);
  // registerModel adds the threshold model; add the bench U-Net too.
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['bin/dafne-node.js', 'model', 'add', pkgDir], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' } });
  const node = await startNodeProcess({ dataDir, env: { ...env, LOG_LEVEL: 'warn' }, configYaml: config });
  const rows: string[] = [];
  try {
    const e2e: number[] = [];
    const afterStable: number[] = [];
    const stages: Stages[] = [];
    for (let i = 1; i <= 3; i++) {
      await inferAlone();
      const s = await series(i);
      await stowParts(node.url, s.files);
      const tLast = Date.now(); // the STOW-RS answer: every instance is stored
      const d = await waitFor(async () => (await api<DeliveryView[]>(node.url, '/api/v1/deliveries')).find((x) => x.status === 'delivered' && !e2eSeen.has(x.id)), 120_000, 'SEG delivered', 20);
      e2eSeen.add(d.id);
      const tAck = new Date(d.deliveredAt!).getTime();
      const [ev] = await api<{ createdAt: string }[]>(node.url, `/api/v1/evaluations?series=${s.seriesInstanceUID}`);
      e2e.push(tAck - tLast - QUIET * 1000);
      afterStable.push(tAck - new Date(ev!.createdAt).getTime());
      stages.push(await stagesOf(node.url, d, new Date(ev!.createdAt).getTime()));
    }
    const inf = median(alone);
    const overhead = median(e2e);
    rows.push(`| routing, 256×256×${SLICES} MR, U-Net (issue 3 bench model) | inference alone ${inf.toFixed(0)} ms | last instance → SEG acknowledged by Orthanc − ${QUIET} s quiet: ${overhead.toFixed(0)} ms (stable → acknowledged ${median(afterStable).toFixed(0)} ms) | **ratio ${(overhead / inf).toFixed(2)}** (target ≤ 1.3) |`);
    const stage = (k: keyof Stages): string => `${median(stages.map((x) => x[k])).toFixed(0)}`;
    rows.push(`| where the routed time goes (medians, ms) | | stable → inference job started ${stage('queueIn')}; read ${stage('read')}; segment (network ${stage('network')}) ${stage('segment')}; store SEG ${stage('store')}; SR + deliveries queued ${stage('derive')}; → delivery job started ${stage('queueOut')}; STOW-RS to Orthanc ${stage('send')} | |`);
  } finally {
    await runner.close();
    await node.stop();
    node.cleanup();
    await pacs.stop();
  }
  return rows;
}
const e2eSeen = new Set<string>();

interface Stages { queueIn: number; read: number; segment: number; network: number; store: number; derive: number; queueOut: number; send: number }
interface JobView { id: string; startedAt: string | null; completedAt: string | null; output: { aiResultId?: string; timings?: { readMs: number; segmentMs: number; networkMs: number; storeMs: number; totalMs: number } } | null }

/** One routed run split into the node's own stages, from its jobs API and the result's timings. */
async function stagesOf(url: string, d: DeliveryView, stableAt: number): Promise<Stages> {
  const inference = (await api<JobView[]>(url, '/api/v1/jobs?type=inference&limit=20')).find((j) => j.output?.aiResultId === d.aiResultId);
  const delivery = d.jobId ? await api<JobView>(url, `/api/v1/jobs/${d.jobId}`) : undefined;
  const t = inference?.output?.timings;
  if (!inference?.startedAt || !inference.completedAt || !t || !delivery?.startedAt) throw new Error('bench:route: the jobs API did not show the run');
  const started = new Date(inference.startedAt).getTime(), completed = new Date(inference.completedAt).getTime();
  return {
    queueIn: started - stableAt,
    read: t.readMs,
    segment: t.segmentMs,
    network: t.networkMs,
    store: t.storeMs,
    derive: completed - started - t.totalMs,
    queueOut: new Date(delivery.startedAt).getTime() - completed,
    send: new Date(d.deliveredAt!).getTime() - new Date(delivery.startedAt).getTime(),
  };
}

async function queueThroughput(kind: 'pglite' | 'postgres'): Promise<string> {
  const t = await createTestDatabase(kind);
  const db = await openDatabase({ url: t.url, embeddedDir: t.embeddedDir });
  const q = new JobQueue(db, pino({ level: 'silent' }), { retryLimit: 2, retryDelaySeconds: 1, pollingIntervalSeconds: 0.5, expireInSeconds: 60 });
  q.defineType('bench');
  try {
    await q.start();
    let t0 = performance.now();
    for (let i = 0; i < JOBS; i++) await q.send('bench', { i });
    const sendPerS = JOBS / ((performance.now() - t0) / 1000);
    let done = 0;
    t0 = performance.now();
    await q.work('bench', 4, async () => {
      done++;
    });
    await waitFor(() => done >= JOBS, 600_000, 'all jobs processed', 5);
    const workPerS = JOBS / ((performance.now() - t0) / 1000);
    return `| queue throughput, ${kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL 15'} | ${JOBS} jobs | send ${sendPerS.toFixed(0)} jobs/s | fetch + complete ${workPerS.toFixed(0)} jobs/s (4 workers, batch 1) |`;
  } finally {
    await q.stop();
    await db.close();
    await t.drop();
  }
}

const rows = ['| what | size | measured | result |', '|---|---|---|---|'];
rows.push(...(await routeOverhead()));
rows.push(await queueThroughput('pglite'));
if (process.env.BENCH_PG_URL !== 'skip') rows.push(await queueThroughput('postgres').catch((err: Error) => `| queue throughput, PostgreSQL | – | skipped: ${err.message.slice(0, 80)} | – |`));
process.stdout.write(`\n${rows.join('\n')}\n`);
process.exit(0);
