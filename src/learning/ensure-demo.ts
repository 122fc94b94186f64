import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { GenerationInfo, ModelRegistry } from '../inference/model-registry.js';

/** models/leg-demo of this installation (dist/src/learning → the package root). */
export const DEMO_PACKAGE_DIR = fileURLToPath(new URL('../../../models/leg-demo', import.meta.url));

/**
 * Registers the shipped demo model when the registry has no model at all, so a fresh node segments
 * out of the box (README's first command, `dafne-node demo`). Never throws: a node without its demo
 * package (e.g. a stripped install) still starts, with a warning.
 */
export async function ensureDemoModel(registry: ModelRegistry, log?: Logger, dir = DEMO_PACKAGE_DIR): Promise<GenerationInfo | null> {
  try {
    if ((await registry.list()).length > 0) return null;
    await access(dir);
    const info = await registry.add(dir, 'system:demo-model');
    log?.info({ model: info.modelId, generation: info.generation, sha256: info.sha256 }, 'registered the demo model (registry was empty)');
    return info;
  } catch (e) {
    log?.warn({ err: e, dir }, 'demo model not registered');
    return null;
  }
}
