// Builds the extension and the mode into ES modules (dist/viewer-ext/ of the node), served at
// /viewer-ext/ and loaded by OHIF with a native import(). `react` resolves to a shim that hands
// out the viewer's own React instance (src/host-react.ts): one React, so hooks work inside
// OHIF's tree. Run by the node's `npm run build`; uses the node's esbuild and typescript.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '..', 'dist', 'viewer-ext');

const hostReact = {
  name: 'host-react',
  setup(b) {
    b.onResolve({ filter: /^react$/ }, () => ({ path: path.join(here, 'src', 'shims', 'react.ts') }));
    b.onResolve({ filter: /^react\/|^react-dom/ }, (args) => ({ errors: [{ text: `${args.path}: only "react" is shimmed to the host's instance; use React.createElement (classic JSX)` }] }));
  },
};

// Type-check first (esbuild only strips types); the node's TypeScript.
execFileSync(process.execPath, [path.resolve(here, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });

await build({
  entryPoints: { extension: path.join(here, 'src', 'extension.tsx'), mode: path.join(here, 'src', 'mode.ts') },
  outdir,
  bundle: true,
  format: 'esm',
  splitting: false,
  platform: 'browser',
  target: 'es2022',
  jsx: 'transform',
  jsxFactory: 'React.createElement',
  jsxFragment: 'React.Fragment',
  sourcemap: true,
  minify: false,
  legalComments: 'none',
  plugins: [hostReact],
  logLevel: 'warning',
});
console.log(`[ohif-extension] built ${path.relative(process.cwd(), outdir)}/{extension,mode}.js`);
