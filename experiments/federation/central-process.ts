import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The CLI compiled beside this file (npm run experiment:federation builds into its own dist-federation/,
// so other work rebuilding dist/ during the run cannot change the processes under test).
const BIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** `dafne-node central` as its own process, with its own data dir and embedded database. */
export class CentralProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  readonly configFile: string;
  readonly url: string;

  constructor(
    readonly dir: string,
    readonly port: number,
    central: Record<string, unknown>,
    /** Operator tokens (auth.tokens), e.g. to register a site over HTTP while the server runs. */
    tokens: { name: string; sha256: string; roles: string[] }[] = [],
  ) {
    mkdirSync(dir, { recursive: true });
    this.configFile = path.join(dir, 'central.yaml');
    this.url = `http://127.0.0.1:${port}`;
    // JSON is YAML: the central config of the simulation (merge window sized to the round).
    writeFileSync(this.configFile, JSON.stringify({ server: { host: '127.0.0.1', port }, dataDir: path.join(dir, 'data'), central, auth: { tokens }, log: { level: 'info' } }, null, 2));
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, DAFNE_CONFIG: this.configFile, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  }

  /** Runs `dafne-node central ARGS` (operator commands) and returns stdout. */
  cli(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
      execFile(process.execPath, [BIN, 'central', ...args], { env: this.env(), maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`dafne-node central ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout))),
    );
  }

  async start(): Promise<void> {
    const out = openSync(path.join(this.dir, 'central.log'), 'a');
    const child = spawn(process.execPath, [BIN, 'central'], { env: this.env(), stdio: ['ignore', out, out] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const deadline = Date.now() + 120_000; ; ) {
      if (child.exitCode !== null) throw new Error(`the central server exited (${child.exitCode}); see ${this.dir}/central.log`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.status < 500) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error('the central server did not start within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGTERM');
    await this.exited;
    this.child = undefined;
  }

  async post(pathname: string, token: string, body: unknown): Promise<any> {
    const r = await fetch(`${this.url}/federation/v1${pathname}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`POST ${pathname}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  async json(pathname: string, token: string): Promise<any> {
    const r = await fetch(`${this.url}/federation/v1${pathname}`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`GET ${pathname}: ${r.status} ${await r.text()}`);
    return r.json();
  }
}
