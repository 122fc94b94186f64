// Builds the operator console (docs/console.md) into dist/console/: one bundled script (preact +
// our views), the page and its styles. Run by the node's `npm run build`, so `npm ci && npm start`
// serves a working console with no extra step. Uses the node's esbuild and TypeScript.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '..', 'dist', 'console');

// Type-check first (esbuild only strips types).
execFileSync(process.execPath, [path.resolve(here, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });

mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { console: path.join(here, 'src', 'main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  sourcemap: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'console.css']) copyFileSync(path.join(here, f), path.join(outdir, f));
