import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { buildNode } from '../app.js';
import { IngestSession } from '../archive/ingest.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';

async function* walk(p: string): AsyncGenerator<string> {
  const st = await fs.stat(p);
  if (st.isFile()) {
    yield p;
    return;
  }
  for (const entry of await fs.readdir(p, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    yield* walk(path.join(p, entry.name));
  }
}

/** `dafne-node import PATH...`: stores DICOM files and folders, with a progress bar. */
export async function importPaths(config: Config, paths: string[]): Promise<number> {
  if (paths.length === 0) {
    process.stderr.write('usage: dafne-node import PATH...\n');
    return 64;
  }
  const files: string[] = [];
  for (const p of paths) for await (const f of walk(path.resolve(p))) files.push(f);
  const node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2) });
  const bar = new SingleBar({ format: 'import [{bar}] {value}/{total} files  {stored} stored  {failed} failed', hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000 });
  let stored = 0;
  let failed = 0;
  try {
    bar.start(files.length, 0, { stored, failed });
    // Sessions of 500 files: each is indexed in batches like one STOW-RS request.
    for (let i = 0; i < files.length; i += 500) {
      const chunk = files.slice(i, i + 500);
      const session = new IngestSession(node.archive, { maxInstanceBytes: config.stow.maxInstanceBytes, concurrency: config.stow.writeConcurrency });
      for (const file of chunk) await session.add(createReadStream(file, { highWaterMark: 1 << 20 }));
      const results = await session.finish();
      results.forEach((r, k) => {
        if (r.status === 'stored') stored++;
        else {
          failed++;
          bar.stop();
          process.stderr.write(`${chunk[k]}: not stored: ${r.message}\n`);
          bar.start(files.length, i + k, { stored, failed });
        }
      });
      bar.update(i + chunk.length, { stored, failed });
    }
  } finally {
    bar.stop();
    await node.close();
  }
  process.stdout.write(`${stored} stored, ${failed} not stored (of ${files.length} files)\n`);
  return failed === 0 ? 0 : 2;
}
