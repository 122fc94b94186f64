import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { labelsToSource } from './backproject.js';
import type { AxisMap } from './resample.js';

/**
 * The back-projection thread (backproject-pool.ts). It runs at a low scheduling priority so that it
 * takes the CPU onnxruntime's threads leave idle between their parallel sections instead of taking
 * a core from them: on two cores, a main-thread back-projection running beside the network cost
 * more wall time than its own CPU time (docs/segmentation.md "Pipeline").
 *
 * Work is shared slice by slice through `claims` (Atomics): a slice is mapped by whichever thread
 * claims it first, so the pipeline can take back what this thread has not started when it is
 * starved by other processes.
 */
export interface WorkerSetup {
  /** nice value for this thread (Linux sets it per thread; 19 = only what nothing else wants). */
  niceness: number;
}

/** Slice states in `claims`. */
export const UNCLAIMED = 0;
export const BY_WORKER = 1;
export const DONE = 2;
export const BY_CALLER = 3;

/** Once per pipeline call: the shared output volume, the batch slots and the axis maps. */
export interface BeginMessage {
  kind: 'begin';
  job: number;
  out: SharedArrayBuffer;
  /** Per slot: logits (maxBatch × channels × plane float32) and model-grid labels (maxBatch × plane). */
  slots: { logits: SharedArrayBuffer; labels: SharedArrayBuffer }[];
  /** Int32, one entry per slot × maxBatch slice. */
  claims: SharedArrayBuffer;
  maxBatch: number;
  rows: AxisMap;
  cols: AxisMap;
  modelCols: number;
  plane: number;
  channels: number;
  sliceVoxels: number;
}

/** A filled slot: slices [firstSlice, firstSlice + n) of the volume. */
export interface BatchMessage {
  kind: 'batch';
  job: number;
  id: number;
  slot: number;
  n: number;
  firstSlice: number;
}

export interface EndMessage {
  kind: 'end';
  job: number;
}

export type WorkerMessage = BeginMessage | BatchMessage | EndMessage;
/** `mapped`: slices this thread did; `ms`: its time on them. */
export type WorkerReply = { id: number; mapped: number; ms: number } | { id: number; error: string };

/** Lowers this thread's priority; Linux applies setpriority to the one thread whose id it is given. */
function lowerPriority(niceness: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, niceness);
  } catch {
    // Not Linux, or no /proc: the thread runs at the process's priority, which is still correct.
  }
}

interface Job extends BeginMessage {
  view: Uint8Array;
  claimsView: Int32Array;
  slotViews: { logits: Float32Array; labels: Uint8Array }[];
}

/** Maps slice b of a filled slot onto the output volume (either thread calls this). */
export function mapSlice(j: Omit<Job, 'kind' | 'job' | 'out' | 'slots' | 'claims' | 'claimsView'>, slot: number, b: number, firstSlice: number): void {
  const s = j.slotViews[slot]!;
  labelsToSource(s.labels.subarray(b * j.plane, (b + 1) * j.plane), s.logits, b * j.channels * j.plane, j.plane, j.modelCols, j.rows, j.cols, j.view, (firstSlice + b) * j.sliceVoxels);
}

export function views(m: BeginMessage): Job {
  return {
    ...m,
    view: new Uint8Array(m.out),
    claimsView: new Int32Array(m.claims),
    slotViews: m.slots.map((s) => ({ logits: new Float32Array(s.logits), labels: new Uint8Array(s.labels) })),
  };
}

if (parentPort) {
  const port = parentPort;
  lowerPriority((workerData as WorkerSetup).niceness);
  const jobs = new Map<number, Job>();
  port.on('message', (m: WorkerMessage) => {
    if (m.kind === 'begin') {
      jobs.set(m.job, views(m));
      return;
    }
    if (m.kind === 'end') {
      jobs.delete(m.job);
      return;
    }
    const t0 = performance.now();
    let mapped = 0;
    try {
      const j = jobs.get(m.job);
      if (!j) throw new Error(`batch for unknown job ${m.job}`);
      for (let b = 0; b < m.n; b++) {
        const at = m.slot * j.maxBatch + b;
        if (Atomics.compareExchange(j.claimsView, at, UNCLAIMED, BY_WORKER) !== UNCLAIMED) continue;
        mapSlice(j, m.slot, b, m.firstSlice);
        Atomics.store(j.claimsView, at, DONE);
        mapped++;
      }
      port.postMessage({ id: m.id, mapped, ms: performance.now() - t0 } satisfies WorkerReply);
    } catch (err) {
      port.postMessage({ id: m.id, error: (err as Error).message } satisfies WorkerReply);
    }
  });
}
