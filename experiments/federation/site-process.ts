import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SiteSpec } from './sites.js';

/** A site process (site.ts) driven over IPC: call(cmd) → its answer, errors as exceptions. */
export class SiteProcess {
  private child!: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly spec: SiteSpec,
    readonly dir: string,
    private readonly central: { url: string; token: string; publicKeyPem: string },
  ) {}

  async start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.waiting.set(0, { resolve: () => resolve(), reject });
    });
    this.child = fork(fileURLToPath(new URL('./site.js', import.meta.url)), [], {
      env: { ...process.env, FED_SITE: JSON.stringify(this.spec), FED_CENTRAL: JSON.stringify(this.central), FED_DIR: this.dir, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(`${this.spec.name}: ${m.error}`));
    });
    void this.exited.then((code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${this.spec.name} exited (${code})`));
      this.waiting.clear();
    });
    await ready;
  }

  call<T = any>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...extra });
    });
  }

  async stop(): Promise<void> {
    await this.call('exit').catch(() => undefined);
    await this.exited;
  }
}
