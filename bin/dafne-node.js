#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=1024
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
// --max-semi-space-size=2: ingest allocates short-lived buffers, and V8's default 16 MB
// semi-spaces kept ≈ 70 MB more resident for no throughput gain (docs/benchmarks.md).
// --max-old-space-size=1024: V8 sizes its old-generation GC trigger from this limit; at its
// default (≈ 4 GB on this machine kind) a 1 GB STOW-RS request let ≈ 30 MB of promoted garbage
// accumulate (peak 288–295 MiB), at 1024 MB it peaks at 265–277 with the same throughput
// (issue 16 item 3). Pixel data, volumes and WebAssembly memory are outside this heap.
// `npm start`, the Dockerfile and the test harness pass the same flags.
import v8 from 'node:v8';

// One background task compiles WebAssembly (PGlite's 9 MB Postgres, tfjs-wasm) instead of one per
// core: each compiling thread kept its own glibc malloc arena of compiler memory for good, ≈ 30 MiB
// of an idle node's RSS, and on 2 cores opening the database was no slower (docs/benchmarks.md
// "Idle memory"). Set before anything compiles.
v8.setFlagsFromString('--wasm-num-compilation-tasks=1');

import('../dist/src/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
    console.error('dafne-node: not built yet. Run "npm run build" first (or "npm start").');
    process.exit(1);
  }
  throw err;
});
