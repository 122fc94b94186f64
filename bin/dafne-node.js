#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import('../dist/src/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/main.js')) {
    console.error('dafne-node: not built yet. Run "npm run build" first (or "npm run setup-and-start").');
    process.exit(1);
  }
  throw err;
});
