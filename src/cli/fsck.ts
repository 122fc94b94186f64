import { buildNode } from '../app.js';
import { fsck } from '../archive/fsck.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';

/** `dafne-node fsck [--deep] [--repair] [--json]`: exit 0 when index and blob store agree. */
export async function fsckCommand(config: Config, args: string[]): Promise<number> {
  const node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2) });
  try {
    const report = await fsck(node.archive, { deep: args.includes('--deep'), repair: args.includes('--repair') });
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(`instances indexed: ${report.instances}\nblobs stored:      ${report.blobs}\n`);
      process.stdout.write(`missing blobs:     ${report.missingBlobs.length}\ndamaged blobs:     ${report.damagedBlobs.length}\n`);
      process.stdout.write(`orphan blobs:      ${report.orphanBlobs.length}${report.removed ? ` (${report.removed} removed)` : ''}\n`);
      process.stdout.write(report.ok ? 'OK: index and blob store agree\n' : 'PROBLEMS FOUND\n');
    }
    return report.ok ? 0 : 1;
  } finally {
    await node.close();
  }
}
