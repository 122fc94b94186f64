import { buildNode } from '../app.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';

const USAGE = `usage:
  dafne-node federation uploads                 outgoing deltas (those awaiting approval first)
  dafne-node federation approve ID              let a delta leave this site (a site admin's decision)
  dafne-node federation decline ID              keep it here for good
`;

/**
 * `dafne-node federation ...`: the site admin's approval of outgoing deltas from the command line
 * (actor: the OS user), beside POST /api/v1/federation/uploads/:id/approve and the console. With the
 * embedded database it runs while `serve` is stopped, like `model`.
 */
export async function federationCommand(config: Config, args: string[]): Promise<number> {
  const [sub, id] = args;
  if (!sub || !['uploads', 'approve', 'decline'].includes(sub) || (sub !== 'uploads' && !id)) {
    process.stderr.write(USAGE);
    return 64;
  }
  const node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2) });
  try {
    if (sub === 'uploads') {
      const rows = await node.federation.queue.list(100);
      rows.sort((a, b) => Number(b.state === 'awaiting-approval') - Number(a.state === 'awaiting-approval'));
      if (!rows.length) process.stdout.write('no outgoing deltas\n');
      for (const r of rows) process.stdout.write(`${r.id}  ${r.state}${r.remoteStatus ? `:${r.remoteStatus}` : ''}  ${r.modelId}  ${r.trainingSlices} slices  ${r.bytes} bytes  ${r.createdAt.toISOString()}${r.approvedBy ? `  approved by ${r.approvedBy}` : ''}\n`);
      return 0;
    }
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    const row = await node.federation.decideUpload(id!, sub === 'approve', actor);
    if (!row) {
      process.stderr.write(`dafne-node federation: no outgoing delta ${id} awaiting approval\n`);
      return 1;
    }
    await node.audit.record({ actor, action: `federation.${sub}`, target: `federation-upload:${row.id}`, detail: { modelId: row.modelId, payloadSha256: row.payloadSha256 } });
    process.stdout.write(`delta ${row.id}: ${sub === 'approve' ? 'approved; it is sent by the next upload loop' : 'declined; it stays on this site'}\n`);
    return 0;
  } finally {
    await node.close();
  }
}
