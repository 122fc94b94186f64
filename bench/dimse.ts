/**
 * bench:dimse — C-STORE ingest of one synthetic MR series with DCMTK's storescu (one association,
 * one C-STORE at a time, PS3.7 §9.1.1) into the node's Storage SCP and into Orthanc's, side by side
 * in one run, rounds interleaved (issue 16). Prints instances/s, MB/s and server CPU ms per instance
 * for both and their ratio. Each round sends a new series (new UIDs), so nothing is "already stored".
 *
 * Env: BENCH_INSTANCES (per series, default 300), BENCH_ROUNDS (default 3).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { syntheticSeries } from '../src/dicom/synthetic-mr.js';
import { cpuMs, freePort, startNodeProcess } from '../test/helpers/node-process.js';
import { startOrthanc } from '../test/helpers/orthanc.js';

const N = Number(process.env.BENCH_INSTANCES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = promisify(execFile);

interface Sample {
  ms: number;
  cpu: number;
  bytes: number;
}

/** A new series written as files; returns the paths and their total size. */
function seriesFiles(count: number): { dir: string; files: string[]; bytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'dafne-bench-dimse-'));
  const files: string[] = [];
  let bytes = 0;
  let i = 0;
  for (const inst of syntheticSeries({ count }).instances) {
    const f = join(dir, `${String(i++).padStart(5, '0')}.dcm`);
    writeFileSync(f, inst.bytes);
    files.push(f);
    bytes += inst.bytes.length;
  }
  return { dir, files, bytes };
}

/** storescu into one SCP; fails unless every instance got Success. */
async function storeAll(port: number, called: string, pid: number, count: number): Promise<Sample> {
  const s = seriesFiles(count);
  try {
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    // -R: propose only the SOP class of the files (MR), as a PACS sending one series does.
    const { stdout, stderr } = await run('storescu', ['-v', '-R', '-aec', called, '-aet', 'BENCHSCU', '127.0.0.1', String(port), ...s.files], { maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - t0;
    const ok = (`${stdout}${stderr}`.match(/Received Store Response \(Success\)/g) ?? []).length;
    if (ok !== count) throw new Error(`${called}: ${ok}/${count} Success`);
    return { ms, cpu: cpuMs(pid) - cpu0, bytes: s.bytes };
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(samples: Sample[]): { ips: number; mbps: number; cpuPerInstance: number } {
  return {
    ips: median(samples.map((s) => N / (s.ms / 1000))),
    mbps: median(samples.map((s) => s.bytes / 1e6 / (s.ms / 1000))),
    cpuPerInstance: median(samples.map((s) => s.cpu / N)),
  };
}

async function main(): Promise<void> {
  const orthancDicom = await freePort();
  const orthanc = await startOrthanc({ config: { DicomServerEnabled: true, DicomPort: orthancDicom, DicomAet: 'ORTHANC' } });
  const orthancPid = Number(execFileSync('pgrep', ['-f', `${orthanc.dir}`]).toString().trim().split('\n').pop());
  const nodeDicom = await freePort();
  const node = await startNodeProcess({ env: { LOG_LEVEL: 'warn', DIMSE_PORT: String(nodeDicom) } });
  const targets = [
    { name: 'orthanc', port: orthancDicom, called: 'ORTHANC', pid: orthancPid, samples: [] as Sample[] },
    { name: 'dafne-node', port: nodeDicom, called: 'DAFNE', pid: node.pid, samples: [] as Sample[] },
  ];
  const loads: number[] = [];
  try {
    for (const t of targets) await storeAll(t.port, t.called, t.pid, 50); // warm-up: JIT, database files
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        t.samples.push(await storeAll(t.port, t.called, t.pid, N));
        loads.push(loadavg()[0]!);
        console.error(`round ${round + 1} ${t.name}: ${(N / (t.samples.at(-1)!.ms / 1000)).toFixed(0)} instances/s (load ${loadavg()[0]!.toFixed(1)})`);
      }
    }
    const [o, n] = targets.map((t) => summary(t.samples)) as [ReturnType<typeof summary>, ReturnType<typeof summary>];
    const size = seriesFiles(1);
    const kib = statSync(size.files[0]!).size / 1024;
    rmSync(size.dir, { recursive: true, force: true });
    console.log(`\nC-STORE ingest with storescu, ${N} MR instances of ${kib.toFixed(0)} KiB in one association, median of ${ROUNDS}; load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
    console.log('| SCP | instances/s | MB/s | server CPU ms / instance |');
    console.log('|---|---|---|---|');
    console.log(`| Orthanc 1.10 | ${o.ips.toFixed(0)} | ${o.mbps.toFixed(1)} | ${o.cpuPerInstance.toFixed(2)} |`);
    console.log(`| dafne-node (embedded PGlite, fsync on) | ${n.ips.toFixed(0)} | ${n.mbps.toFixed(1)} | ${n.cpuPerInstance.toFixed(2)} |`);
    console.log(`| ratio node / Orthanc | ${(n.ips / o.ips).toFixed(2)}× | ${(n.mbps / o.mbps).toFixed(2)}× | ${(n.cpuPerInstance / o.cpuPerInstance).toFixed(2)}× |`);
  } finally {
    await node.stop();
    node.cleanup();
    await orthanc.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
