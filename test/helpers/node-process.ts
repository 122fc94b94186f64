import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/helpers/ (compiled) or test/helpers/ (source). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..');

export interface NodeProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL now (a crash) and wait until the process is gone; the data dir stays. */
  kill(): Promise<void>;
  /** Start again on the same port and data. */
  restart(): Promise<void>;
  log(): string;
  /** Removes the data dir (after stop/kill). */
  cleanup(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NodeProcessOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** YAML text for DAFNE_CONFIG. */
  configYaml?: string;
  startTimeoutMs?: number;
  /** The command and its arguments (default ['serve']; e.g. ['central'] for the central role). */
  command?: string[];
}

/**
 * Runs `dafne-node serve` as a separate process (as an operator would), on a free loopback port
 * with its own data directory, and waits until /healthz answers.
 */
export async function startNodeProcess(opts: NodeProcessOptions = {}): Promise<NodeProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'dafne-node-'));
  const port = await freePort();
  const logFile = path.join(dataDir, 'node.log');
  // MALLOC_MMAP_THRESHOLD_ as `npm start` and the Dockerfile set it (docs/operations.md#memory).
  const env: Record<string, string> = { ...(process.env as Record<string, string>), MALLOC_MMAP_THRESHOLD_: '131072', DAFNE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...opts.env };
  if (opts.configYaml) {
    const file = path.join(dataDir, 'config.yaml');
    (await import('node:fs')).writeFileSync(file, opts.configYaml);
    env.DAFNE_CONFIG = file;
  }
  let child!: ChildProcess;
  const url = `http://127.0.0.1:${port}`;
  const start = async (): Promise<void> => {
    const out = createWriteStream(logFile, { flags: 'a' });
    // PROBE_NODE_ARGS: extra node flags for explorations (bench/stow-big-probe.ts).
    child = spawn(process.execPath, ['--max-semi-space-size=2', '--max-old-space-size=1024', ...(process.env.PROBE_NODE_ARGS ? process.env.PROBE_NODE_ARGS.split(' ') : []), path.join(REPO_ROOT, 'bin/dafne-node.js'), ...(opts.command ?? ['serve'])], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    while (true) {
      if (child.exitCode !== null) throw new Error(`dafne-node exited with ${child.exitCode} during start:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`dafne-node did not answer /healthz within the deadline:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const waitExit = (): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));
  await start();
  const handle: NodeProcess = {
    url,
    port,
    dataDir,
    get child() {
      return child;
    },
    get pid() {
      return child.pid!;
    },
    logFile,
    stop: async () => {
      child.kill('SIGTERM');
      await waitExit();
    },
    kill: async () => {
      child.kill('SIGKILL');
      await waitExit();
    },
    restart: async () => {
      await start();
    },
    log: () => readFileSync(logFile, 'utf8'),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
  process.once('exit', () => child.kill('SIGKILL'));
  return handle;
}

/** CPU time (user + system) of a process so far, in milliseconds, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (proc(5), fields 14 and 15)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
