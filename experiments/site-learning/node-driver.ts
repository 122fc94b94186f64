import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Volume } from '../../src/dicom/volume.js';
import type { AiResult } from '../../src/review/results.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../../test/helpers/node-process.js';
import { retrieveInstance } from '../../test/helpers/routing-fixture.js';
import { stowParts } from '../../test/helpers/stow-client.js';

/**
 * The node as a site runs it, driven from outside over its public interfaces only: `dafne-node
 * serve` with the embedded defaults (PGlite, the demo model registered at start, learning defaults
 * of config/default.yaml), one routing rule that sends MR leg series to the default model, and
 * `dafne-node train` run as the command line does it (on the embedded database the serving process
 * owns the data directory, so the node is stopped for the run and started again, as a site without
 * PostgreSQL would do it, or as the nightly run in `serve` does in-process).
 */
export const MODEL = 'leg-demo';

export interface SiteNode {
  node: NodeProcess;
  env: Record<string, string>;
}

export async function startSiteNode(): Promise<SiteNode> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dafne-site-'));
  const rulesFile = path.join(dataDir, 'routing.yaml');
  writeFileSync(rulesFile, stringify({ destinations: [], rules: [{ id: 'site-leg-mr', when: { Modality: 'MR', BodyPartExamined: 'LEG' }, model: MODEL, quietSeconds: 2, review: 'immediate', destinations: [] }] }));
  // Only routing is configured; storage checks are relaxed for a temp dir. Learning: product defaults.
  const configYaml = stringify({ storage: { fsync: false, minFreeBytes: 0, minFreePercent: 0 }, routing: { rulesFile, checkIntervalSeconds: 0.5 } });
  const node = await startNodeProcess({ dataDir, configYaml, startTimeoutMs: 120_000 });
  return { node, env: { DAFNE_DATA_DIR: dataDir, DAFNE_CONFIG: path.join(dataDir, 'config.yaml') } };
}

export async function api<T>(n: SiteNode, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${n.node.url}${p}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** STOW-RS of one series, as the PACS routes it (one request per series). */
export async function stow(n: SiteNode, files: Buffer[]): Promise<void> {
  const a = await stowParts(n.node.url, files);
  if (a.status !== 200 || a.failed.length) throw new Error(`STOW-RS answered ${a.status}, ${a.failed.length} failed: ${JSON.stringify(a.failed.slice(0, 2))}`);
}

/** Waits for the routed AI result of a source series (the rule's quiet period, then inference). */
export async function resultOf(n: SiteNode, study: string, series: string, timeoutMs = 180_000): Promise<AiResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = (await api<AiResult[]>(n, `/api/v1/results?study=${study}`)).find((x) => x.sourceSeriesInstanceUid === series);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no AI result for series ${series} within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** The AI SEG of a result, read onto the case's grid (the label volume the reader sees). */
export async function aiLabels(n: SiteNode, r: AiResult, grid: Volume): Promise<Uint8Array> {
  if (r.outcome !== 'segmented') throw new Error(`series ${r.sourceSeriesInstanceUid} was skipped: ${r.reason}`);
  // WADO-RS retrieve, as a viewer does.
  const seg = await retrieveInstance(`${n.node.url}/dicomweb`, r.studyInstanceUid, r.segSeriesInstanceUid, r.segSopInstanceUid);
  return readSeg(seg, grid).labels.data;
}

export interface TrainOutcome {
  exitCode: number;
  stdout: string;
}

/** `dafne-node train --model leg-demo` with the node stopped (embedded database), then serve again. */
export async function train(n: SiteNode): Promise<TrainOutcome> {
  await n.node.stop();
  try {
    const r = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'train', '--model', MODEL], { env: { ...process.env, ...n.env }, cwd: REPO_ROOT, maxBuffer: 16 << 20 });
    return { exitCode: 0, stdout: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: err.code ?? 1, stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  } finally {
    await n.node.restart();
  }
}
