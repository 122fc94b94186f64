import { InferenceSession, Tensor } from 'onnxruntime-node';
import { LABELS_OUTPUT, withLabelHead } from './label-head.js';

export interface OnnxRunnerOptions {
  /** Threads for one operator; engine notes: 2 on a 2-core node gives ≈ 20–24 ms per 256² slice. */
  intraOpNumThreads?: number;
  /** Graph input / output to use (default: the session's first input / output). */
  inputName?: string;
  outputName?: string;
  /**
   * Append an arg-max head to the graph (label-head.ts) so runWithLabels gets the labels from
   * onnxruntime. Default true; when the graph cannot take it the runner works without it.
   */
  labelHead?: boolean;
  /**
   * Let onnxruntime's intra-op threads spin between parallel sections (onnxruntime's default).
   * Default false here: spinning burned ≈ 25 % more CPU per slice on a loaded 2-core machine
   * (78 vs 60 ms per 256² slice, same wall time or worse; docs/benchmarks.md), CPU that the
   * pipeline's own back-projection and the rest of the node (ingest, HTTP) need.
   */
  allowSpinning?: boolean;
}

export interface LabelledOutput extends RunOutput {
  /** Arg-max over the channel axis, N×H×W. */
  labels: Uint8Array;
}

export interface RunOutput {
  /** Output values, row-major (N×C×H×W for a segmentation model). */
  data: Float32Array;
  dims: number[];
}

/**
 * A thin wrapper over one onnxruntime-node session (CPU). The session is created once and reused for
 * every batch (creation costs 12–45 ms, engine notes). Runs are serialised: each run already uses
 * `intraOpNumThreads` cores, and overlapping runs would only compete for them.
 */
export class OnnxRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly session: InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    /** True when the session has the arg-max head (runWithLabels returns onnxruntime's labels). */
    readonly hasLabels: boolean,
  ) {}

  static async create(onnx: Uint8Array, options: OnnxRunnerOptions = {}): Promise<OnnxRunner> {
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    };
    const headed = options.labelHead === false ? null : withLabelHead(onnx, options.outputName);
    let session: InferenceSession | undefined;
    if (headed) {
      // A graph the head makes invalid for onnxruntime falls back to the plain model below.
      session = await InferenceSession.create(headed, sessionOptions).catch(() => undefined);
    }
    const hasLabels = session !== undefined;
    session ??= await InferenceSession.create(onnx, sessionOptions);
    const outputs = session.outputNames.filter((o) => !hasLabels || o !== LABELS_OUTPUT);
    const inputName = options.inputName ?? session.inputNames[0];
    const outputName = options.outputName ?? outputs[0];
    if (inputName === undefined || !session.inputNames.includes(inputName)) {
      await session.release();
      throw new Error(`ONNX model has no input "${inputName ?? ''}" (inputs: ${session.inputNames.join(', ')})`);
    }
    if (outputName === undefined || !outputs.includes(outputName)) {
      await session.release();
      throw new Error(`ONNX model has no output "${outputName ?? ''}" (outputs: ${outputs.join(', ')})`);
    }
    return new OnnxRunner(session, inputName, outputName, hasLabels);
  }

  /** Runs a batch of single-channel slices (n×1×h×w, row-major); returns the logits N×C×H×W. */
  async run(batch: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
    return (await this.runWithDims(batch, n, h, w)).data;
  }

  /** Like run, with the output's dims (to learn C, and to check the model kept H×W). */
  runWithDims(batch: Float32Array, n: number, h: number, w: number): Promise<RunOutput> {
    if (this.closed) return Promise.reject(new Error('OnnxRunner is closed'));
    if (batch.length !== n * h * w) return Promise.reject(new RangeError(`batch has ${batch.length} values, expected ${n}×1×${h}×${w}`));
    const next = this.queue.then(async () => {
      const input = new Tensor('float32', batch, [n, 1, h, w]);
      const results = await this.session.run({ [this.inputName]: input }, [this.outputName]);
      const out = results[this.outputName]!;
      if (out.type !== 'float32') throw new Error(`ONNX output "${this.outputName}" is ${out.type}, expected float32`);
      return { data: out.data as Float32Array, dims: [...out.dims] };
    });
    this.queue = next.catch(() => undefined); // a failed run must not poison the next one
    return next;
  }

  /**
   * Like runWithDims, plus the arg-max labels N×H×W computed by onnxruntime (needs hasLabels).
   * Ties go to the lower channel, as in the JS arg-max.
   */
  runWithLabels(batch: Float32Array, n: number, h: number, w: number): Promise<LabelledOutput> {
    if (!this.hasLabels) return Promise.reject(new Error('this OnnxRunner has no arg-max head'));
    if (this.closed) return Promise.reject(new Error('OnnxRunner is closed'));
    if (batch.length !== n * h * w) return Promise.reject(new RangeError(`batch has ${batch.length} values, expected ${n}×1×${h}×${w}`));
    const next = this.queue.then(async () => {
      const input = new Tensor('float32', batch, [n, 1, h, w]);
      const results = await this.session.run({ [this.inputName]: input }, [this.outputName, LABELS_OUTPUT]);
      const out = results[this.outputName]!;
      const labels = results[LABELS_OUTPUT]!;
      if (out.type !== 'float32') throw new Error(`ONNX output "${this.outputName}" is ${out.type}, expected float32`);
      return { data: out.data as Float32Array, dims: [...out.dims], labels: labels.data as Uint8Array };
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Releases the native session after the runs already queued. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.session.release();
  }
}
