#!/usr/bin/env node
// Build step: brings the prebuilt OHIF viewer (@ohif/app, pinned) into vendor/ohif/<version>/dist.
//
// `npm install @ohif/app` does not work (its dependency @ohif/i18n of the same version is not
// published), but the package tarball holds the complete prebuilt viewer under package/dist/. So we
// `npm pack` it through the ordinary npm client (registry, proxy and cache settings all apply), check
// the tarball against the pinned integrity, and extract dist/ only. Idempotent: when the marker file
// records the same version and integrity, nothing is fetched. vendor/ is git-ignored.
//
// Env: DAFNE_OHIF_SKIP=1 skips the step (a node without the viewer still serves everything else).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned viewer: bump both together, then run the review e2e test (it fails loudly on a break). */
export const OHIF_VERSION = '3.13.2';
export const OHIF_INTEGRITY = 'sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA==';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const base = path.join(root, 'vendor', 'ohif');
const target = path.join(base, OHIF_VERSION);
const marker = path.join(target, '.verified.json');

function sri(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha512');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(`sha512-${h.digest('base64')}`));
  });
}

function present() {
  if (!existsSync(marker) || !existsSync(path.join(target, 'dist', 'index.html'))) return false;
  try {
    const m = JSON.parse(readFileSync(marker, 'utf8'));
    return m.version === OHIF_VERSION && m.integrity === OHIF_INTEGRITY;
  } catch {
    return false;
  }
}

async function main() {
  if (process.env.DAFNE_OHIF_SKIP === '1') {
    console.log('[fetch-ohif] skipped (DAFNE_OHIF_SKIP=1)');
    return;
  }
  if (present()) {
    console.log(`[fetch-ohif] @ohif/app@${OHIF_VERSION} present and verified in ${path.relative(root, target)}`);
    return;
  }
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(path.join(base, '.fetch-'));
  try {
    const t0 = Date.now();
    console.log(`[fetch-ohif] npm pack @ohif/app@${OHIF_VERSION} (~200 MB, once)`);
    const out = execFileSync('npm', ['pack', `@ohif/app@${OHIF_VERSION}`, '--pack-destination', work, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack wrote no tarball (${out.slice(0, 200)})`);
    const got = await sri(path.join(work, tgz));
    if (got !== OHIF_INTEGRITY) throw new Error(`integrity mismatch for @ohif/app@${OHIF_VERSION}: expected ${OHIF_INTEGRITY}, got ${got}`);
    const staging = path.join(work, 'staging');
    mkdirSync(staging);
    // Only package/dist/ (the prebuilt viewer); GNU tar strips the "package/" prefix.
    execFileSync('tar', ['-xzf', path.join(work, tgz), '-C', staging, '--strip-components=1', 'package/dist'], { stdio: 'inherit' });
    if (!existsSync(path.join(staging, 'dist', 'index.html'))) throw new Error('the tarball has no package/dist/index.html');
    writeFileSync(path.join(staging, '.verified.json'), JSON.stringify({ version: OHIF_VERSION, integrity: OHIF_INTEGRITY, fetchedAt: new Date().toISOString() }, null, 2));
    rmSync(target, { recursive: true, force: true });
    // Appears under its final name only complete (a rename), so an interrupted fetch is retried.
    renameSync(staging, target);
    console.log(`[fetch-ohif] verified and extracted to ${path.relative(root, target)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`[fetch-ohif] ${err.message}`);
  process.exit(1);
});
