/**
 * The operator console's end-to-end setting: a dafne-node process on a fresh PostgreSQL database
 * with an admin, a reader and a PACS token; Orthanc as the hospital PACS (the destination); the
 * exact threshold model with three generations; and the scores the learning gate records for them;
 * and the shipped demo model (the node registers it), on which the continual-learning test runs real
 * learning runs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { hashToken } from '../../src/http/auth.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { MODEL_ID, registerModel, THRESHOLDS, writeRoutingConfig } from '../helpers/routing-fixture.js';
import { thresholdCard } from '../helpers/threshold-card.js';

export const ADMIN = { name: 'ops-admin', token: 'console-admin-token-0123456789' };
export const READER = { name: 'dr-reader', token: 'console-reader-token-0123456789' };
export const PACS = { name: 'modality', token: 'console-pacs-token-0123456789' };
export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** The shipped demo model (registered by the node on an empty registry), trainable: the console's continual-learning view shows its real runs. */
export const DEMO_MODEL = 'leg-demo';
export const DEMO_DIR = path.join(REPO_ROOT, 'models', DEMO_MODEL);

/**
 * Learning settings for real runs of the demo model that fit an e2e test on 2 cores (3-slice series
 * at 128², 2 epochs; as test/learning/learning-runs.int.test.ts): one held-out series is the frozen
 * benchmark, the next ones are the held-out set; an accepted demo candidate becomes active (auto),
 * so the next run starts from it and has a forward transfer to measure.
 */
const LEARNING = { benchmarkSeries: 1, epsilon: 0.02, models: { [DEMO_MODEL]: 'auto' }, recipe: { epochs: 2, batchSize: 3, learningRate: 1e-4 } };

/** Held-out Dice the gate recorded per generation (generation 0 is the registered base). */
export const HELD_OUT = [0.712, 0.741, 0.768];

const onnxFor = (g: number) => writeOnnx(thresholdModel({ thresholds: THRESHOLDS.map((t, i) => (i === 0 ? t + g : t)) }));

/** A package of generation `g` of the threshold model, child of generation g-1, from a local fine-tune. */
function generationDir(g: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-console-model-'));
  const card = { ...thresholdCard({ id: MODEL_ID, name: 'Threshold test model', generation: g, size: [256, 256], pixelSpacing: [2.5, 2.5], batchSize: 8 }), parentHash: createHash('sha256').update(onnxFor(g - 1)).digest('hex'), training: { origin: 'local-fine-tune' } };
  writeFileSync(path.join(dir, 'model.onnx'), onnxFor(g));
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return dir;
}

export async function startConsoleNode(opts: { databaseUrl: string; destinations: unknown[]; rules: unknown[] }): Promise<NodeProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dafne-console-'));
  const tokens = [
    { name: ADMIN.name, sha256: hashToken(ADMIN.token), roles: ['admin'] },
    { name: READER.name, sha256: hashToken(READER.token), roles: ['reader'] },
    { name: PACS.name, sha256: hashToken(PACS.token), roles: ['pacs'] },
  ];
  const { config, env } = writeRoutingConfig(dataDir, { destinations: opts.destinations, rules: opts.rules, config: { auth: { tokens }, learning: LEARNING }, env: { DATABASE_URL: opts.databaseUrl } });
  await registerModel(dataDir, env); // generation 0, active
  // The first command on the empty registry also registered the shipped demo model (ensure-demo.ts).
  for (const dir of [generationDir(1), generationDir(2)]) {
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'model', 'add', dir], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  }
  await recordGateScores(opts.databaseUrl);
  return startNodeProcess({ dataDir, env, configYaml: config });
}

/**
 * The rows a learning run writes when its gate judges generations (learning_run, generation_score):
 * a real fine-tune takes minutes on 2 cores, and test/learning covers how the gate computes them.
 * The console only reads them through GET /api/v1/models/:id/generations.
 */
async function recordGateScores(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const [g, heldOut] of HELD_OUT.entries()) {
      const [run] = (await c.query("INSERT INTO learning_run (model_id, trigger, actor, status, slices, base_generation, candidate_generation, finished_at) VALUES ($1, 'cli', 'fixture', 'done', 40, $2, $3, now()) RETURNING id", [MODEL_ID, Math.max(g - 1, 0), g])).rows as { id: string }[];
      await c.query('INSERT INTO generation_score (model_id, generation, run_id, held_out, benchmark, corrections, gate) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        MODEL_ID,
        g,
        run!.id,
        heldOut,
        heldOut - 0.02,
        null,
        g === 0 ? null : JSON.stringify({ accepted: true, reasons: [`held-out Dice ${HELD_OUT[g - 1]!.toFixed(3)} → ${heldOut.toFixed(3)}`] }),
      ]);
    }
  } finally {
    await c.end();
  }
}

/**
 * What a reader's correction in OHIF produces: a second SEG of the source series, here from the
 * threshold model with the last threshold moved from 260 to 380: voxels between (muscle-like
 * intensities of the phantom) become "mid" instead of "high"; "low" stays as it was.
 */
export async function readerCorrection(files: Buffer[]): Promise<Buffer> {
  const { OnnxRunner } = await import('../../src/inference/onnx-runner.js');
  const { segmentSeries } = await import('../../src/inference/segment-series.js');
  const { validateModelPackage } = await import('../../src/inference/model-package.js');
  const card = thresholdCard({ id: 'reader-correction', name: 'Reader correction', size: [256, 256], pixelSpacing: [2.5, 2.5], batchSize: 8 });
  const pkg = validateModelPackage(writeOnnx(thresholdModel({ thresholds: [THRESHOLDS[0]!, THRESHOLDS[1]!, 380] })), card);
  const runner = await OnnxRunner.create(pkg.onnx, { intraOpNumThreads: 1 });
  try {
    return (await segmentSeries(files, pkg, runner, { softwareVersion: 'console-e2e' })).seg;
  } finally {
    await runner.close();
  }
}
