/**
 * The prebuilt OHIF viewer (@ohif/app, pinned in scripts/fetch-ohif.mjs) as the node serves it
 * under /viewer/. The package is built for the site root: index.html names "/" as public URL, the
 * bundler runtimes (the app's and each web worker's) load chunks from "/", the stylesheet and the
 * web manifest use root-relative URLs. Those strings are rewritten to /viewer/: index.html and the
 * app bundle are checked at start (if a new OHIF version changes them, start-up logs why and
 * /viewer/ answers 503, and the review e2e test fails loudly), the others on first request.
 * A bundler runtime's rewrite is one string at one byte offset, so those files (the app bundle is
 * 17 MB) are served from disk around a splice instead of being kept in memory: the rewritten
 * app bundle held 17 MiB of an idle node's RSS (docs/operations.md#memory).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Keep equal to OHIF_VERSION in scripts/fetch-ohif.mjs (a unit test checks). */
export const OHIF_VERSION = '3.13.2';

/** The repository root, from dist/src/viewer/ (compiled) or src/viewer/ (source). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), import.meta.url.includes('/dist/src/') ? '../../..' : '../..');

export const DEFAULT_OHIF_DIST = path.join(ROOT, 'vendor', 'ohif', OHIF_VERSION, 'dist');
export const VIEWER_EXT_DIR = path.join(ROOT, 'dist', 'viewer-ext');

export class OhifDistError extends Error {}

const PUBLIC_PATH = '__webpack_require__.p = "/";';

const count = (text: string, s: string): number => text.split(s).length - 1;

/** The rewrite for one served file (path relative to the dist root), or undefined when none applies. */
export function rebase(rel: string, text: string, base: string): string | undefined {
  if (rel === 'index.html') {
    if (!text.includes('window.PUBLIC_URL="/"')) return undefined;
    // Root-relative src/href attributes (scripts, styles, icons, manifest) move under the base.
    return text.split('window.PUBLIC_URL="/"').join(`window.PUBLIC_URL=${JSON.stringify(base)}`).replace(/(\s(?:src|href))="\/(?!\/)/g, `$1="${base}`);
  }
  if (rel.endsWith('.js') && !rel.includes('/')) return count(text, PUBLIC_PATH) === 1 ? text.replace(PUBLIC_PATH, `__webpack_require__.p = ${JSON.stringify(base)};`) : undefined;
  if (rel.endsWith('.css') && !rel.includes('/')) return text.includes('url(/') ? text.replace(/url\(\/(?!\/)/g, `url(${base}`) : undefined;
  if (rel === 'manifest.json') return text.replace(/"\/assets\//g, `"${base}assets/`);
  return undefined;
}

const MAYBE_PATCHED = /^[^/]+\.(js|css)$|^manifest\.json$|^index\.html$/;

/** A file served as its bytes with `remove` bytes at offset `at` replaced by `insert`. */
export interface Splice {
  file: string;
  /** The file's size when it was checked; the served length is size − remove + insert.length. */
  size: number;
  at: number;
  remove: number;
  insert: Buffer;
}

/**
 * Byte offsets of `needle` in the file, read in 1 MiB pieces: a whole-file read of the 17 MB app
 * bundle (and its string) at start raised glibc's mmap threshold and left the heap larger for good.
 */
export function findInFile(file: string, needle: string, limit = 2): number[] {
  const pattern = Buffer.from(needle);
  const piece = Buffer.allocUnsafe(1 << 20);
  const found: number[] = [];
  const fd = openSync(file, 'r');
  try {
    // Each read keeps the last pattern.length − 1 bytes of the previous one, so no match is split.
    let kept = 0;
    let base = 0; // file offset of piece[0]
    for (;;) {
      const n = readSync(fd, piece, kept, piece.length - kept, base + kept);
      const end = kept + n;
      for (let i = piece.indexOf(pattern); i >= 0 && i + pattern.length <= end; i = piece.indexOf(pattern, i + 1)) {
        found.push(base + i);
        if (found.length >= limit) return found;
      }
      if (n === 0) return found;
      kept = Math.min(pattern.length - 1, end);
      piece.copy(piece, 0, end - kept, end);
      base += end - kept;
    }
  } finally {
    closeSync(fd);
  }
}

export class OhifDist {
  /** Rewritten small files by path relative to `dir`; null = checked, served as is. */
  private readonly cache = new Map<string, Buffer | Splice | null>();
  readonly appBundle: string;

  constructor(readonly dir: string, readonly base: string) {
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) throw new OhifDistError(`the OHIF viewer is not installed at ${dir} (run "npm run build", which fetches @ohif/app@${OHIF_VERSION})`);
    const html = rebase('index.html', readFileSync(index, 'utf8'), base);
    if (!html) throw new OhifDistError(`OHIF ${OHIF_VERSION} index.html does not set window.PUBLIC_URL="/"; the viewer cannot be served under ${base} (was the OHIF version changed?)`);
    this.cache.set('index.html', Buffer.from(html));
    const bundles = readdirSync(dir).filter((f) => /^app\.bundle\.[0-9a-f]+\.js$/.test(f));
    if (bundles.length !== 1) throw new OhifDistError(`OHIF ${OHIF_VERSION}: expected one app.bundle.*.js in ${dir}, found ${bundles.length}`);
    this.appBundle = bundles[0]!;
    const app = this.runtimeSplice(path.join(dir, this.appBundle), statSync(path.join(dir, this.appBundle)).size);
    if (!app) throw new OhifDistError(`OHIF ${OHIF_VERSION} ${this.appBundle}: the bundler's public path (${PUBLIC_PATH}) is not there exactly once (was the OHIF version changed?)`);
    this.cache.set(this.appBundle, app);
  }

  indexHtml(): Buffer {
    return this.cache.get('index.html') as Buffer;
  }

  /**
   * The rewritten form of `rel` if it needs a rewrite: its bytes, or a splice of the file on disk
   * for a root .js file (a bundler runtime); undefined means serve the file as is.
   */
  async patched(rel: string): Promise<Buffer | Splice | undefined> {
    if (!MAYBE_PATCHED.test(rel)) return undefined;
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit ?? undefined;
    const file = path.join(this.dir, rel);
    let out: Buffer | Splice | undefined;
    if (rel.endsWith('.js')) {
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) return undefined;
      out = this.runtimeSplice(file, st.size);
    } else {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      const rebased = rebase(rel, text, this.base);
      out = rebased === undefined ? undefined : Buffer.from(rebased);
    }
    this.cache.set(rel, out ?? null);
    return out;
  }

  /** rebase() of a root .js file as a splice: the public path, when it is there exactly once. */
  private runtimeSplice(file: string, size: number): Splice | undefined {
    const at = findInFile(file, PUBLIC_PATH);
    if (at.length !== 1) return undefined;
    return { file, size, at: at[0]!, remove: Buffer.byteLength(PUBLIC_PATH), insert: Buffer.from(`__webpack_require__.p = ${JSON.stringify(this.base)};`) };
  }
}
