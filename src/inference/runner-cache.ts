import { sharedBackprojectPool } from './backproject-pool.js';
import { OnnxRunner } from './onnx-runner.js';

/** What a runner is made from: a model package's network and its tensor names. */
export interface RunnerSource {
  sha256: string;
  onnx: Uint8Array;
  inputName?: string;
  outputName?: string;
}

/** Default of `inference.idleReleaseSeconds`, in ms. */
export const DEFAULT_IDLE_RELEASE_MS = 60_000;

/**
 * onnxruntime sessions by model hash, kept warm while series keep coming and released once none
 * has run for `idleMs`. An idle node otherwise held ≈ 80 MiB for the last model it ran: the
 * session with its arenas and thread pool (≈ 28 MiB) and the back-projection thread the pipeline
 * started (≈ 52 MiB; docs/benchmarks.md "Idle memory"). Making both again costs about 0.1 s at the
 * start of the next series.
 */
export class RunnerCache {
  private readonly runners = new Map<string, Promise<OnnxRunner>>();
  private inUse = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: { threads: number; idleMs?: number }) {}

  /** Runs `fn` with the runner of `src`, made on first use; no release while any `fn` runs. */
  async use<T>(src: RunnerSource, fn: (runner: OnnxRunner) => Promise<T>): Promise<T> {
    this.inUse++;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      return await fn(await this.runner(src));
    } finally {
      if (--this.inUse === 0) this.armRelease();
    }
  }

  /** Model hashes with a live runner (for tests and the status of an idle node). */
  get warm(): string[] {
    return [...this.runners.keys()];
  }

  private runner(src: RunnerSource): Promise<OnnxRunner> {
    let r = this.runners.get(src.sha256);
    if (!r) {
      r = OnnxRunner.create(src.onnx, { intraOpNumThreads: this.opts.threads, inputName: src.inputName, outputName: src.outputName });
      r.catch(() => this.runners.delete(src.sha256));
      this.runners.set(src.sha256, r);
    }
    return r;
  }

  private armRelease(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inUse === 0) void this.release();
    }, this.opts.idleMs ?? DEFAULT_IDLE_RELEASE_MS);
    // An idle release must never keep a finished process alive.
    this.timer.unref();
  }

  /** Closes every runner now and lets the back-projection thread go if no pipeline uses it. */
  async release(): Promise<void> {
    // Taken out of the map before any await: a series that starts meanwhile makes a new runner.
    const old = [...this.runners.values()];
    this.runners.clear();
    for (const r of old) await (await r.catch(() => undefined))?.close();
    await sharedBackprojectPool().releaseIdleThread();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.release();
  }
}
