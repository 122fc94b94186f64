/**
 * The prebuilt OHIF viewer (@ohif/app, pinned in scripts/fetch-ohif.mjs) as the node serves it
 * under /viewer/. The package is built for the site root: index.html names "/" as public URL, the
 * bundler runtimes (the app's and each web worker's) load chunks from "/", the stylesheet and the
 * web manifest use root-relative URLs. Those strings are rewritten to /viewer/, in memory: index.html
 * and the app bundle at start (if a new OHIF version changes them, start-up logs why and /viewer/
 * answers 503, and the review e2e test fails loudly), the others on first request.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

export class OhifDist {
  /** Rewritten files by path relative to `dir`; null = checked, served as is. */
  private readonly cache = new Map<string, Buffer | null>();
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
    const app = rebase(this.appBundle, readFileSync(path.join(dir, this.appBundle), 'utf8'), base);
    if (!app) throw new OhifDistError(`OHIF ${OHIF_VERSION} ${this.appBundle}: the bundler's public path (${PUBLIC_PATH}) is not there exactly once (was the OHIF version changed?)`);
    this.cache.set(this.appBundle, Buffer.from(app));
  }

  indexHtml(): Buffer {
    return this.cache.get('index.html')!;
  }

  /** The rewritten bytes of `rel` if it needs a rewrite, else undefined (serve the file as is). */
  async patched(rel: string): Promise<Buffer | undefined> {
    if (!MAYBE_PATCHED.test(rel)) return undefined;
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit ?? undefined;
    const text = await readFile(path.join(this.dir, rel), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const out = rebase(rel, text, this.base);
    this.cache.set(rel, out === undefined ? null : Buffer.from(out));
    return out === undefined ? undefined : this.cache.get(rel)!;
  }
}
