/**
 * Test fixtures for automatic routing (issue 4): an exact threshold model package registered in a
 * node's model registry, a lower-leg phantom series with the labels that model must give, a node
 * process configured with a routing YAML, and Orthanc DICOMweb read-back helpers.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { readMultipart } from '../../src/dicom/multipart.js';
import type { VolumeGeometry } from '../../src/dicom/volume.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdLabel, thresholdModel } from '../../src/inference/onnx/test-models.js';
import { legPhantom } from '../../src/phantom/leg-phantom.js';
import { writeLegSeries, type WrittenSeries } from '../../src/phantom/write-series.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from './node-process.js';
import { thresholdCard } from './threshold-card.js';

export const THRESHOLDS = [80, 160, 260];
export const MODEL_ID = 'threshold-test';

export interface LegSeries {
  series: WrittenSeries;
  geometry: VolumeGeometry;
  /** The label the threshold model gives each voxel (volume order). */
  expected: Uint8Array;
}

let seed = 1;
/** A small axial phantom series (rows × columns × slices) and its expected labels. */
export async function legSeries(opts: { rows?: number; columns?: number; slices?: number; description?: string; studyInstanceUID?: string; patientId?: string } = {}): Promise<LegSeries> {
  const ph = legPhantom({ seed: seed++, noise: 10, orientation: 'axial', rows: opts.rows ?? 48, columns: opts.columns ?? 40, slices: opts.slices ?? 6, pixelSpacing: [2.5, 2.5] });
  const series = await writeLegSeries(ph.volume, { seriesDescription: opts.description ?? 'T1 leg axial', studyInstanceUID: opts.studyInstanceUID, patientId: opts.patientId ?? 'ROUTE-1', bodyPartExamined: 'LEG' });
  const expected = new Uint8Array(series.stored.length);
  for (let i = 0; i < expected.length; i++) expected[i] = thresholdLabel(series.stored[i]! * series.rescaleSlope + series.rescaleIntercept, THRESHOLDS);
  return { series, geometry: ph.volume, expected };
}

/** A threshold model package (identity resampling for a 2.5 mm grid up to 256²) in a new directory. */
export function thresholdPackageDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-model-'));
  const card = thresholdCard({ id: MODEL_ID, name: 'Threshold test model', size: [256, 256], pixelSpacing: [2.5, 2.5], batchSize: 8 });
  writeFileSync(path.join(dir, 'model.onnx'), writeOnnx(thresholdModel({ thresholds: THRESHOLDS })));
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card, null, 2));
  return dir;
}

export interface RoutingNodeOptions {
  destinations?: unknown[];
  rules?: unknown[];
  /** Extra top-level config sections (merged over the test defaults). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Register the threshold model (default true). */
  model?: boolean;
}

/** Config YAML + routing YAML + the model registered through the CLI, then `dafne-node serve`. */
export async function startRoutingNode(opts: RoutingNodeOptions = {}): Promise<NodeProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dafne-route-'));
  const { config, env } = writeRoutingConfig(dataDir, opts);
  if (opts.model !== false) await registerModel(dataDir, env);
  return startNodeProcess({ dataDir, env: { ...env, ...opts.env }, configYaml: config });
}

export function writeRoutingConfig(dataDir: string, opts: RoutingNodeOptions): { config: string; env: Record<string, string> } {
  mkdirSync(dataDir, { recursive: true });
  const rulesFile = path.join(dataDir, 'routing.yaml');
  writeFileSync(rulesFile, stringify({ destinations: opts.destinations ?? [], rules: opts.rules ?? [] }));
  const config = stringify({
    storage: { fsync: false, minFreeBytes: 0, minFreePercent: 0 },
    routing: { rulesFile, defaultQuietSeconds: 1, checkIntervalSeconds: 0.5 },
    jobs: { retryDelaySeconds: 1, pollingIntervalSeconds: 0.5, retryLimit: 8 },
    // The delivery schedule in seconds (the default is minutes to hours: retry-schedule.ts).
    delivery: { retry: { initialSeconds: 1, maxSeconds: 4, giveUpAfterHours: 1 } },
    ...opts.config,
  });
  const configFile = path.join(dataDir, 'config.yaml');
  writeFileSync(configFile, config);
  return { config, env: { DAFNE_CONFIG: configFile, DAFNE_DATA_DIR: dataDir, ...opts.env } };
}

export async function registerModel(dataDir: string, env: Record<string, string>): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'model', 'add', thresholdPackageDir()], {
    cwd: REPO_ROOT,
    env: { ...process.env, DAFNE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
  });
}

/** JSON from the node's API (admin without tokens on loopback). */
export async function api<T = unknown>(base: string, p: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${base}${p}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p} → ${res.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

type DicomJson = Record<string, { Value?: unknown[] }>;
const v = (o: DicomJson, tag: string): string | undefined => o[tag]?.Value?.[0] as string | undefined;

/** SEG instances of a study in a DICOMweb server (QIDO-RS), e.g. Orthanc's /dicom-web. */
export async function segInstances(dicomwebRoot: string, study: string): Promise<{ series: string; sop: string }[]> {
  const res = await fetch(`${dicomwebRoot}/studies/${study}/instances?Modality=SEG`, { headers: { accept: 'application/dicom+json' } });
  if (res.status === 204) return [];
  const list = (await res.json()) as DicomJson[];
  return list.filter((i) => v(i, '00080016') === '1.2.840.10008.5.1.4.1.1.66.4' || v(i, '00080060') === 'SEG').map((i) => ({ series: v(i, '0020000E')!, sop: v(i, '00080018')! }));
}

/** WADO-RS of one instance as Part 10 bytes. */
export async function retrieveInstance(dicomwebRoot: string, study: string, series: string, sop: string): Promise<Buffer> {
  const res = await fetch(`${dicomwebRoot}/studies/${study}/series/${series}/instances/${sop}`, { headers: { accept: 'multipart/related; type="application/dicom"' } });
  if (!res.ok) throw new Error(`WADO-RS ${res.status}`);
  const boundary = /boundary="?([^";]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error('WADO-RS answer without a multipart boundary');
  const body = Buffer.from(await res.arrayBuffer());
  for await (const part of readMultipart((async function* () {
    yield body;
  })(), boundary)) {
    const chunks: Buffer[] = [];
    for await (const c of part.body) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  }
  throw new Error('WADO-RS answer has no part');
}

/** The Lua script of peers.md: route every stable non-result series to the DICOMweb server `node`. */
export const ROUTE_LUA = `
function OnStableSeries(seriesId, tags, metadata)
  local modality = tags['Modality']
  if modality == 'SEG' or modality == 'SR' or modality == 'KO' or modality == 'PR' then
    return
  end
  RestApiPost('/dicom-web/servers/node/stow', DumpJson({ Resources = { seriesId }, Synchronous = false }, true))
end
`;
