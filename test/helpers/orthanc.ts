/**
 * Test harness: a real Orthanc 1.10 (+ DICOMweb plugin) playing the hospital PACS for one test.
 *
 * Each call to startOrthanc() gets its own temp dir (config, storage, index, log) and a free port found
 * at run time (never 8042, which other tools use). Orthanc 1.10 cannot bind to loopback only, so it
 * listens on all interfaces with RemoteAccessAllowed=false, which refuses non-loopback clients.
 *
 * The process must never outlive the test process: it is killed on 'exit', and on Linux it is also
 * started under `setpriv --pdeathsig SIGKILL`, so the kernel kills it even if the test process itself
 * is killed hard (ava's timeout, Ctrl-C) and no 'exit' handler runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const SETPRIV = '/usr/bin/setpriv';

export interface OrthancOptions {
  /** Seconds without new instances before Orthanc calls a series stable (OnStableSeries); Orthanc's default is 60. */
  stableAge?: number;
  /** Lua source texts; each is written to a file and listed in LuaScripts. */
  luaScripts?: string[];
  /** Static DicomWeb.Servers entries, e.g. { node: { Url: 'http://127.0.0.1:8080/dicomweb/' } }. */
  dicomWebServers?: Record<string, DicomWebServerConfig>;
  /** Extra top-level configuration keys, applied last. */
  config?: Record<string, unknown>;
  /** How long to wait for GET /system to answer; default 30 s. */
  startTimeoutMs?: number;
}

/** The DICOMweb plugin's description of a remote server (Orthanc Book, "DICOMweb plugin"). */
export interface DicomWebServerConfig {
  Url: string;
  Username?: string;
  Password?: string;
  HttpHeaders?: Record<string, string>;
  ChunkedTransfers?: boolean;
  HasDelete?: boolean;
  [key: string]: unknown;
}

export interface UploadResult {
  ID: string;
  ParentPatient: string;
  ParentStudy: string;
  ParentSeries: string;
  Path: string;
  Status: 'Success' | 'AlreadyStored' | string;
}

export interface LookupResult {
  ID: string;
  Path: string;
  Type: 'Patient' | 'Study' | 'Series' | 'Instance';
}

/** What a synchronous POST /dicom-web/servers/{name}/stow answers once its job has finished. */
export interface StowJobResult {
  InstancesCount?: string;
  NetworkSizeMB?: string;
  [key: string]: unknown;
}

export interface OrthancHarness {
  url: string;
  port: number;
  dir: string;
  logFile: string;
  /** Graceful stop (SIGTERM; about 2-4 s for Orthanc 1.10), then the temp dir is removed. */
  stop(): Promise<void>;
  /** SIGKILL now, like a crash; the data stays so that restart() can bring it back. */
  kill(): void;
  /** Stops (gracefully, if still running) and starts again on the same port with the same data. */
  restart(): Promise<void>;
  registerDicomWebServer(name: string, url: string, opts?: Omit<DicomWebServerConfig, 'Url'>): Promise<void>;
  stowToServer(name: string, orthancIds: string[]): Promise<StowJobResult>;
  upload(bytes: Uint8Array): Promise<UploadResult>;
  lookup(uid: string): Promise<LookupResult[]>;
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body: unknown, contentType?: string): Promise<T>;
  /** The log so far, for failure messages. */
  log(): Promise<string>;
}

// Every running Orthanc of this process, killed (and its dir removed) when the process exits.
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of live) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
      try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  });
}

/** A port that was free on loopback a moment ago (the kernel picks it); start() retries if it is taken. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => (port === 8042 ? freePort().then(resolve, reject) : resolve(port)));
    });
  });
}

export class OrthancHttpError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: string) {
    super(`Orthanc ${method} ${path} → ${status}: ${body.slice(0, 500)}`);
  }
}

export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancHarness> {
  if (!existsSync(ORTHANC_BIN)) throw new Error(`${ORTHANC_BIN} not found: apt-get install orthanc orthanc-dicomweb`);
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'dafne-orthanc-'));
  const logFile = join(dir, 'orthanc.log');
  const configFile = join(dir, 'config.json');
  const luaFiles: string[] = [];
  for (const [i, source] of (opts.luaScripts ?? []).entries()) {
    const file = join(dir, `script-${i}.lua`);
    await writeFile(file, source);
    luaFiles.push(file);
  }
  const extra = opts.config ?? {};
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const writeConfig = async () => {
    const config = {
      Name: 'dafne-test-pacs',
      HttpPort: port,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomServerEnabled: false,
      StorageDirectory: join(dir, 'storage'),
      IndexDirectory: join(dir, 'index'),
      Plugins: [DICOMWEB_PLUGIN],
      StableAge: opts.stableAge ?? 60,
      LuaScripts: luaFiles,
      ...extra,
      DicomWeb: {
        Enable: true,
        Root: '/dicom-web/',
        ServersInDatabase: true,
        ...(opts.dicomWebServers ? { Servers: opts.dicomWebServers } : {}),
        ...((extra['DicomWeb'] as object | undefined) ?? {}),
      },
    };
    await writeFile(configFile, JSON.stringify(config, null, 2));
  };

  const request = async (method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> => {
    let payload: string | Uint8Array | undefined;
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else { payload = JSON.stringify(body); contentType ??= 'application/json'; }
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: contentType ? { 'content-type': contentType } : {},
      body: payload as RequestInit['body'],
    });
    const text = await res.text();
    if (!res.ok) throw new OrthancHttpError(method, path, res.status, text);
    return (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
  };

  const log = async () => readFile(logFile, 'utf8').catch(() => '');

  /** Spawns Orthanc and resolves once GET /system answers; rejects with the log tail if it dies first. */
  const launch = async (): Promise<void> => {
    await writeConfig();
    const out = openSync(logFile, 'a');
    const args = [ORTHANC_BIN, configFile];
    // setpriv execs Orthanc in place (same pid) after setting PR_SET_PDEATHSIG.
    const proc = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', ...args], { stdio: ['ignore', out, out] })
      : spawn(args[0]!, args.slice(1), { stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    live.set(proc, dir);
    let dead = false;
    exited = new Promise((resolve) => proc.once('exit', () => { dead = true; live.delete(proc); resolve(); }));
    proc.once('error', () => { dead = true; live.delete(proc); });
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    for (;;) {
      if (dead) throw new Error(`Orthanc exited during start-up:\n${(await log()).slice(-2000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/system`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) { await res.arrayBuffer(); return; }
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`Orthanc did not answer GET /system within the deadline:\n${(await log()).slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50)); // poll interval of a condition wait, not a fixed sleep
    }
  };

  const shutdown = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  // A port found free can be taken before Orthanc binds it: try a few ports.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      // Orthanc 1.10 says "The TCP port of the HTTP server is privileged or already in use".
      const portTaken = /already in use/i.test((await log()).slice(-1000));
      if (attempt >= 3 || !portTaken) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    get port() { return port; },
    dir,
    logFile,
    async stop() {
      await shutdown();
      await rm(dir, { recursive: true, force: true });
    },
    kill() {
      child?.kill('SIGKILL');
    },
    async restart() {
      await shutdown();
      await exited;
      await launch();
    },
    async registerDicomWebServer(name, url, serverOpts = {}) {
      await request('PUT', `/dicom-web/servers/${encodeURIComponent(name)}`, { ...serverOpts, Url: url });
    },
    async stowToServer(name, orthancIds) {
      // Synchronous: the answer comes when the STOW job has finished, with the job's content.
      const body = { Resources: orthancIds, Synchronous: true };
      return (await request('POST', `/dicom-web/servers/${encodeURIComponent(name)}/stow`, body)) as StowJobResult;
    },
    async upload(bytes) {
      return (await request('POST', '/instances', bytes, 'application/dicom')) as UploadResult;
    },
    async lookup(uid) {
      return (await request('POST', '/tools/lookup', uid, 'text/plain')) as LookupResult[];
    },
    async get<T>(path: string) {
      return (await request('GET', path)) as T;
    },
    async post<T>(path: string, body: unknown, contentType?: string) {
      return (await request('POST', path, body, contentType)) as T;
    },
    log,
  };
}
