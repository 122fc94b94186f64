/**
 * bench:idle — the resident memory of an idle node after one study (issue 19). Each round starts
 * a real `dafne-node serve` exactly as `npm start` does (its environment assignments and node flags
 * are read from package.json's "start" script) on a fresh data directory, reads VmRSS from
 * /proc/PID/status when it is ready, runs the real `dafne-node demo` against it (a 16-slice study
 * through STOW, routing, inference and the SEG), reads VmRSS again, waits past
 * inference.idleReleaseSeconds and reads it a last time.
 *
 * Env: BENCH_ROUNDS (default 3), BENCH_IDLE_SECONDS (wait after the study, default
 * idleReleaseSeconds + 20), BENCH_START_ENV=0 (start without the start script's environment
 * assignments, to see what they are worth).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_IDLE_RELEASE_MS } from '../src/inference/runner-cache.js';
import { freePort, REPO_ROOT } from '../test/helpers/node-process.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? DEFAULT_IDLE_RELEASE_MS / 1000 + 20);
const WITH_ENV = process.env.BENCH_START_ENV !== '0';

/** `npm start` as words: leading NAME=value assignments, then `node FLAGS... SCRIPT ARGS...`. */
function parseStartScript(script: string): { env: Record<string, string>; nodeArgs: string[] } {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const w = words.shift()!;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (words.shift() !== 'node') throw new Error(`the start script does not run node: ${script}`);
  return { env, nodeArgs: words };
}

interface Status {
  rss: number;
  anon: number;
  file: number;
  hwm: number;
  threads: number;
}

function status(pid: number): Status {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM'), threads: Number(/^Threads:\s+(\d+)/m.exec(text)?.[1]) };
}

/** The largest resident mappings (/proc/PID/smaps), for the report of what holds the memory. */
function topMappings(pid: number, n = 8): string {
  const rows: { rss: number; what: string }[] = [];
  let what = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const size = (parseInt(m[2]!, 16) - parseInt(m[1]!, 16)) / 2 ** 20;
      what = `${m[3] ? path.basename(m[3]) : 'anon'} (${size.toFixed(0)} MiB mapping)`;
    } else if (line.startsWith('Rss:')) rows.push({ rss: Number(line.split(/\s+/)[1]) / 1024, what });
  }
  return rows
    .sort((a, b) => b.rss - a.rss)
    .slice(0, n)
    .map((r) => `${r.rss.toFixed(0)} ${r.what}`)
    .join(', ');
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function round(i: number, start: { env: Record<string, string>; nodeArgs: string[] }): Promise<{ start: Status; after: Status; idle: Status }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dafne-bench-idle-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...(WITH_ENV ? start.env : {}), DAFNE_DATA_DIR: path.join(dataDir, 'var'), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  let log = '';
  const node = spawn(process.execPath, start.nodeArgs, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  node.stdout!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-8000)));
  node.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-8000)));
  try {
    const deadline = Date.now() + 120_000;
    while (!log.includes('dafne-node ready')) {
      if (node.exitCode !== null) throw new Error(`dafne-node exited with ${node.exitCode} during start:\n${log}`);
      if (Date.now() > deadline) throw new Error(`dafne-node was not ready within 120 s:\n${log}`);
      await sleep(100);
    }
    // The start-up's last allocations (demo model registration, migrations) settle within seconds.
    await sleep(5000);
    const s0 = status(node.pid!);
    const demo = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/dafne-node.js'), 'demo', '--url', url], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let demoOut = '';
    demo.stdout!.setEncoding('utf8').on('data', (d: string) => (demoOut += d));
    demo.stderr!.setEncoding('utf8').on('data', (d: string) => (demoOut += d));
    const code = await exited(demo);
    if (code !== 0 || !/SEG: series/.test(demoOut)) throw new Error(`the demo failed (exit ${code}):\n${demoOut.slice(-3000)}`);
    const s1 = status(node.pid!);
    await sleep(IDLE_S * 1000);
    const s2 = status(node.pid!);
    console.error(`round ${i + 1}: start ${s0.rss.toFixed(0)}, after the study ${s1.rss.toFixed(0)}, idle ${s2.rss.toFixed(0)} MiB (anon ${s2.anon.toFixed(0)}, file ${s2.file.toFixed(0)}, peak ${s2.hwm.toFixed(0)}, ${s2.threads} threads; load ${loadavg()[0]!.toFixed(1)})`);
    console.error(`  largest idle mappings (MiB RSS): ${topMappings(node.pid!)}`);
    return { start: s0, after: s1, idle: s2 };
  } finally {
    node.kill('SIGTERM');
    await exited(node);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const start = parseStartScript(pkg.scripts.start!);
console.error(`npm start: ${pkg.scripts.start}${WITH_ENV ? '' : ' (BENCH_START_ENV=0: without its environment assignments)'}; ${ROUNDS} rounds, idle wait ${IDLE_S} s; load ${loadavg()[0]!.toFixed(1)}`);
const rounds = [];
for (let i = 0; i < ROUNDS; i++) rounds.push(await round(i, start));
const span = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
console.log(`| | start | after one demo study | idle (+${IDLE_S} s) | idle anon / file | peak (VmHWM) |`);
console.log('|---|---|---|---|---|---|');
console.log(
  `| VmRSS MiB, ${ROUNDS} rounds${WITH_ENV ? '' : ', without the start env'} | ${span(rounds.map((r) => r.start.rss))} | ${span(rounds.map((r) => r.after.rss))} | **${span(rounds.map((r) => r.idle.rss))}** | ${span(rounds.map((r) => r.idle.anon))} / ${span(rounds.map((r) => r.idle.file))} | ${span(rounds.map((r) => r.idle.hwm))} |`,
);
