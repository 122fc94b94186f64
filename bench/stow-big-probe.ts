/**
 * Exploration (issue 16 item 3): where the 1 GB STOW-RS request's RSS goes. Prints the peak and
 * the smaps_rollup split at the peak. Env: PROBE_YAML (node config), PROBE_ENV (JSON env),
 * PROBE_NODE_ARGS (node flags, e.g. --trace-gc; read by test/helpers/node-process.ts),
 * PROBE_LOG (keep the node's log there), PROBE_SNAP_MS (heap snapshot signal after ms).
 */
import { readFileSync } from 'node:fs';
import { BOUNDARY, bigBody } from './stow-body.js';
import { rssBytes, startNodeProcess } from '../test/helpers/node-process.js';

const MB = Number(process.env.BENCH_BIG_MB ?? 1024);
const node = await startNodeProcess({ env: { LOG_LEVEL: 'warn', ...JSON.parse(process.env.PROBE_ENV ?? '{}') }, configYaml: process.env.PROBE_YAML });
try {
  await node.stop();
  await node.restart();
  const before = rssBytes(node.pid);
  let peak = before;
  let atPeak = '';
  const timer = setInterval(() => {
    const r = rssBytes(node.pid);
    if (r > peak) {
      peak = r;
      atPeak = readFileSync(`/proc/${node.pid}/smaps_rollup`, 'utf8');
    }
  }, 50);
  if (process.env.PROBE_SNAP_MS) setTimeout(() => process.kill(node.pid, 'SIGUSR2'), Number(process.env.PROBE_SNAP_MS));
  const t0 = performance.now();
  const res = await fetch(`${node.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` }, body: ReadableStream.from(bigBody(MB)) as never, duplex: 'half' } as RequestInit);
  const j = (await res.json()) as Record<string, { Value?: unknown[] }>;
  const ips = (j['00081199']?.Value?.length ?? 0) / ((performance.now() - t0) / 1000);
  clearInterval(timer);
  const pick = (k: string): string => (atPeak.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? '?');
  console.log(`${process.env.PROBE_NAME ?? 'default'}: status ${res.status}, ${ips.toFixed(0)} inst/s; before ${(before / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB (anon ${(Number(pick('Anonymous')) / 1024).toFixed(0)}, file ${((Number(pick('Rss')) - Number(pick('Anonymous'))) / 1024).toFixed(0)}); after ${(rssBytes(node.pid) / 2 ** 20).toFixed(0)}`);
} finally {
  await node.stop();
  if (process.env.PROBE_LOG) (await import('node:fs')).copyFileSync(node.logFile, process.env.PROBE_LOG);
  node.cleanup();
}
