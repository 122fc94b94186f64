import { buildNode } from '../app.js';
import type { Config } from '../config/schema.js';
import { ModelRegistryError } from '../inference/model-registry.js';
import { ModelPackageError } from '../inference/model-package.js';
import { createLogger } from '../log.js';

const USAGE = `usage:
  dafne-node model list
  dafne-node model add DIR [--activate]      DIR holds model.onnx + model.json
  dafne-node model promote MODEL GENERATION [--reason TEXT]
  dafne-node model rollback MODEL [--reason TEXT]
`;

/** `dafne-node model ...`: the model registry from the command line (actor: the OS user). */
export async function modelCommand(config: Config, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['list', 'add', 'promote', 'rollback'].includes(sub)) {
    process.stderr.write(USAGE);
    return 64;
  }
  const reasonAt = rest.indexOf('--reason');
  const reason = reasonAt >= 0 ? rest[reasonAt + 1] : undefined;
  const positional = rest.filter((a, i) => !a.startsWith('--') && (reasonAt < 0 || i !== reasonAt + 1));
  const actor = `cli:${process.env.USER ?? 'unknown'}`;
  const node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2) });
  try {
    switch (sub) {
      case 'list': {
        const models = await node.models.list();
        if (models.length === 0) process.stdout.write('no models registered (dafne-node model add DIR)\n');
        for (const m of models) {
          process.stdout.write(`${m.id}  ${m.name}\n`);
          for (const g of m.generations) {
            process.stdout.write(`  ${g.active ? '*' : ' '} generation ${g.generation}  ${g.sha256.slice(0, 12)}  parent ${g.parentSha256?.slice(0, 12) ?? '-'}  ${g.origin}  ${g.createdAt.toISOString()}\n`);
          }
        }
        return 0;
      }
      case 'add': {
        if (!positional[0]) throw new ModelRegistryError('model add needs a package directory', 'not-found');
        const g = await node.models.add(positional[0], actor, { activate: rest.includes('--activate') });
        process.stdout.write(`added ${g.modelId} generation ${g.generation} (${g.sha256.slice(0, 12)})${g.active ? ', active' : ''}\n`);
        return 0;
      }
      case 'promote': {
        const generation = Number(positional[1]);
        if (!positional[0] || !Number.isInteger(generation)) {
          process.stderr.write(USAGE);
          return 64;
        }
        const g = await node.models.promote(positional[0], generation, actor, reason);
        await node.audit.record({ actor, action: 'model.promote', target: `model:${g.modelId}`, detail: { generation: g.generation, sha256: g.sha256, reason: reason ?? null } });
        process.stdout.write(`${g.modelId}: generation ${g.generation} is now active\n`);
        return 0;
      }
      default: {
        if (!positional[0]) {
          process.stderr.write(USAGE);
          return 64;
        }
        const g = await node.models.rollback(positional[0], actor, reason);
        await node.audit.record({ actor, action: 'model.rollback', target: `model:${g.modelId}`, detail: { generation: g.generation, sha256: g.sha256, reason: reason ?? null } });
        process.stdout.write(`${g.modelId}: rolled back; generation ${g.generation} is now active\n`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof ModelRegistryError || err instanceof ModelPackageError) {
      process.stderr.write(`dafne-node model ${sub}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await node.close();
  }
}
