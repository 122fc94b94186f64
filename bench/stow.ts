/**
 * bench:stow — the node and Orthanc ingest the same synthetic MR series over STOW-RS, side by
 * side in one run (issue 2). Prints instances/s, MB/s and server CPU ms per instance for both and
 * their ratio, then the node's peak RSS while it ingests one ~1 GB request.
 *
 * Env: BENCH_INSTANCES (per series, default 600), BENCH_ROUNDS (default 3), BENCH_BIG_MB (1024).
 */
import { execFileSync } from 'node:child_process';
import { syntheticSeries } from '../src/dicom/synthetic-mr.js';
import { BOUNDARY, bigBody } from './stow-body.js';
import { startOrthanc } from '../test/helpers/orthanc.js';
import { cpuMs, rssBytes, startNodeProcess } from '../test/helpers/node-process.js';

const N = Number(process.env.BENCH_INSTANCES ?? 600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 1024);

function body(count: number): { buf: Buffer; instances: number } {
  const parts: Buffer[] = [];
  for (const inst of syntheticSeries({ count }).instances) {
    parts.push(Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\nContent-Length: ${inst.bytes.length}\r\n\r\n`));
    parts.push(inst.bytes);
  }
  parts.push(Buffer.from(`\r\n--${BOUNDARY}--`));
  return { buf: Buffer.concat(parts), instances: count };
}

interface Sample {
  ms: number;
  cpu: number;
  bytes: number;
  instances: number;
}

async function stow(url: string, pid: number, b: { buf: Buffer; instances: number }): Promise<Sample> {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` }, body: b.buf });
  const json = (await res.json()) as Record<string, { Value?: unknown[] }>;
  const ms = performance.now() - t0;
  const stored = json['00081199']?.Value?.length ?? 0;
  if (res.status !== 200 || stored !== b.instances) throw new Error(`${url}: status ${res.status}, ${stored}/${b.instances} referenced`);
  return { ms, cpu: cpuMs(pid) - cpu0, bytes: b.buf.length, instances: b.instances };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(samples: Sample[]): { ips: number; mbps: number; cpuPerInstance: number } {
  return {
    ips: median(samples.map((s) => s.instances / (s.ms / 1000))),
    mbps: median(samples.map((s) => s.bytes / 1e6 / (s.ms / 1000))),
    cpuPerInstance: median(samples.map((s) => s.cpu / s.instances)),
  };
}


async function main(): Promise<void> {
  const orthanc = await startOrthanc({ config: { LimitFindResults: 0 } });
  const orthancPid = Number(execFileSync('pgrep', ['-f', `${orthanc.dir}`]).toString().trim().split('\n').pop());
  const node = await startNodeProcess({ env: { LOG_LEVEL: 'warn' } });
  const targets = [
    { name: 'orthanc', url: `${orthanc.url}/dicom-web/studies`, pid: orthancPid, samples: [] as Sample[] },
    { name: 'dafne-node', url: `${node.url}/dicomweb/studies`, pid: node.pid, samples: [] as Sample[] },
  ];
  try {
    for (const t of targets) await stow(t.url, t.pid, body(100)); // warm-up: JIT, database files
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const b = body(N);
        t.samples.push(await stow(t.url, t.pid, b));
        console.error(`round ${round + 1} ${t.name}: ${(N / (t.samples.at(-1)!.ms / 1000)).toFixed(0)} instances/s`);
      }
    }
    const [o, n] = targets.map((t) => summary(t.samples)) as [ReturnType<typeof summary>, ReturnType<typeof summary>];
    console.log(`\nSTOW-RS ingest, ${N} MR instances of ${(body(1).buf.length / 1024).toFixed(0)} KiB per request, median of ${ROUNDS}`);
    console.log('| server | instances/s | MB/s | server CPU ms / instance |');
    console.log('|---|---|---|---|');
    console.log(`| Orthanc 1.10 + DICOMweb 1.7 | ${o.ips.toFixed(0)} | ${o.mbps.toFixed(1)} | ${o.cpuPerInstance.toFixed(2)} |`);
    console.log(`| dafne-node | ${n.ips.toFixed(0)} | ${n.mbps.toFixed(1)} | ${n.cpuPerInstance.toFixed(2)} |`);
    console.log(`| ratio node / Orthanc | ${(n.ips / o.ips).toFixed(2)}× | ${(n.mbps / o.mbps).toFixed(2)}× | ${(n.cpuPerInstance / o.cpuPerInstance).toFixed(2)}× |`);

    // One ~1 GB request: the node must stream it with bounded memory. Measured on a restarted
    // node (steady state: the first start's initdb leaves its memory behind for a while).
    await node.stop();
    await node.restart();
    let peak = rssBytes(node.pid);
    const before = peak;
    const timer = setInterval(() => (peak = Math.max(peak, rssBytes(node.pid))), 50);
    const t0 = performance.now();
    const res = await fetch(`${node.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` },
      body: ReadableStream.from(bigBody(BIG_MB)) as never,
      duplex: 'half',
    } as RequestInit);
    const json = (await res.json()) as Record<string, { Value?: unknown[] }>;
    clearInterval(timer);
    const secs = (performance.now() - t0) / 1000;
    const stored = json['00081199']?.Value?.length ?? 0;
    console.log(`\nOne ${BIG_MB} MB request (chunked): status ${res.status}, ${stored} instances in ${secs.toFixed(1)} s (${(stored / secs).toFixed(0)}/s); node RSS ${(before / 2 ** 20).toFixed(0)} MiB before, peak ${(peak / 2 ** 20).toFixed(0)} MiB (target < 300 MiB)`);
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
