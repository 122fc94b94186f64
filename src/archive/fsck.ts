import type { Archive } from './archive.js';

export interface FsckReport {
  instances: number;
  blobs: number;
  /** Index rows whose blob is missing. */
  missingBlobs: string[];
  /** Index rows whose blob has another size (or, with `deep`, another hash). */
  damagedBlobs: string[];
  /** Blobs no index row refers to. */
  orphanBlobs: string[];
  /** Orphans removed (with `repair`). */
  removed: number;
  ok: boolean;
}

/**
 * Checks that the index and the blob store agree: every instance row has its blob with the
 * recorded size (and SHA-256 when `deep`), and every blob belongs to a row. `repair` removes
 * orphan blobs only; a missing or damaged blob is reported, never "fixed" by dropping data.
 */
export async function fsck(archive: Archive, opts: { deep?: boolean; repair?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<FsckReport> {
  const rows = (await archive.db.dataSource.query('SELECT sha256, size FROM instance')) as { sha256: string; size: string | number }[];
  const indexed = new Map(rows.map((r) => [r.sha256, Number(r.size)]));
  const report: FsckReport = { instances: rows.length, blobs: 0, missingBlobs: [], damagedBlobs: [], orphanBlobs: [], removed: 0, ok: true };
  const seen = new Set<string>();
  for await (const key of archive.blobs.keys()) {
    report.blobs++;
    seen.add(key);
    if (!indexed.has(key)) report.orphanBlobs.push(key);
  }
  let done = 0;
  for (const [key, size] of indexed) {
    opts.onProgress?.(++done, indexed.size);
    if (!seen.has(key)) {
      report.missingBlobs.push(key);
      continue;
    }
    const st = await import('node:fs/promises').then((fs) => fs.stat(archive.blobs.pathOf(key)));
    if (st.size !== size || (opts.deep && (await archive.blobs.hashOf(key)) !== key)) report.damagedBlobs.push(key);
  }
  if (opts.repair && report.orphanBlobs.length) {
    // Re-check against the index right before deleting: a STOW may have indexed one meanwhile.
    const known = await archive.indexedKeys(report.orphanBlobs);
    for (const key of report.orphanBlobs) {
      if (!known.has(key)) {
        await archive.blobs.remove(key);
        report.removed++;
      }
    }
  }
  report.ok = report.missingBlobs.length === 0 && report.damagedBlobs.length === 0 && report.orphanBlobs.length === report.removed;
  return report;
}
