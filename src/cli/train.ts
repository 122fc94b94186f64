import { SingleBar } from 'cli-progress';
import { buildNode } from '../app.js';
import type { Config } from '../config/schema.js';
import { DatabaseInUseError } from '../db/data-source.js';
import { ModelRegistryError } from '../inference/model-registry.js';
import { LearningBusyError } from '../learning/learning-lock.js';
import { createLogger } from '../log.js';

const USAGE = 'usage: dafne-node train [--model ID]\n';

/**
 * `dafne-node train [--model ID]`: the nightly learning run, now, in this process, with a progress
 * bar (one per model). Refuses with exit status 75 (EX_TEMPFAIL) when another run holds the learning
 * lock on the same database (a `serve` running its nightly job or an API run); on the embedded
 * database a running `serve` already owns the data directory, and opening it is refused.
 */
export async function trainCommand(config: Config, args: string[]): Promise<number> {
  const at = args.indexOf('--model');
  const modelId = at >= 0 ? args[at + 1] : undefined;
  if ((at >= 0 && !modelId) || args.some((a, i) => a !== '--model' && i !== at + 1)) {
    process.stderr.write(USAGE);
    return 64;
  }
  let node;
  try {
    // recoverArchive false: on a shared PostgreSQL a running `serve` owns the blob store's repair.
    node = await buildNode(config, { log: createLogger('warn', 'dafne-node', 2), recoverArchive: false });
  } catch (err) {
    if (err instanceof DatabaseInUseError) {
      process.stderr.write(`dafne-node train: ${err.message}; the running node runs learning itself (POST /api/v1/learning/runs)\n`);
      return 75;
    }
    throw err;
  }
  const bar = new SingleBar({ format: 'train {model} [{bar}] {percentage}%  {message}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 });
  let current: string | undefined;
  try {
    const started = await node.learning.start({
      modelId,
      trigger: 'cli',
      actor: `cli:${process.env.USER ?? 'unknown'}`,
      onProgress: (p) => {
        if (current !== p.runId) {
          if (current) bar.stop();
          current = p.runId;
          bar.start(1000, 0, { model: p.modelId, message: '' });
        }
        bar.update(Math.round(p.fraction * 1000), { model: p.modelId, message: p.message.slice(0, 70) });
      },
    });
    const runs = await started.done;
    if (current) bar.stop();
    for (const r of runs) {
      process.stdout.write(`${r.modelId}: run ${r.id} ${r.status}${r.reason ? ` — ${r.reason}` : ''}\n`);
      const gate = r.gate as { reasons?: string[] } | null;
      for (const line of gate?.reasons ?? []) process.stdout.write(`  ${line}\n`);
    }
    return runs.some((r) => r.status === 'failed') ? 1 : 0;
  } catch (err) {
    if (current) bar.stop();
    if (err instanceof LearningBusyError || err instanceof ModelRegistryError) {
      process.stderr.write(`dafne-node train: ${err.message}\n`);
      return err instanceof LearningBusyError ? 75 : 1;
    }
    throw err;
  } finally {
    await node.close();
  }
}
