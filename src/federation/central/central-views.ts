import type { ModelRegistry } from '../../inference/model-registry.js';
import { ModelRegistryError } from '../../inference/model-registry.js';
import { httpError } from '../../http/errors.js';
import { sign } from '../signing.js';
import type { KeyObject } from 'node:crypto';
import type { CentralStore, Upload } from './central-store.js';

/** What /federation/v1 (and the Dafne aliases) answer: plain values built from the registry and the store. */

export async function listModels(registry: ModelRegistry) {
  const models = await registry.list();
  return {
    models: models
      .filter((m) => m.active)
      .map((m) => ({ id: m.id, name: m.name, latest: { generation: m.active!.generation, sha256: m.active!.sha256 } })),
  };
}

export async function modelInfo(registry: ModelRegistry, store: CentralStore, modelId: string) {
  const summary = (await registry.list()).find((m) => m.id === modelId);
  if (!summary) throw httpError('not_found', `no model "${modelId}" on this central server`);
  const facts = await store.generationFacts(modelId);
  return {
    id: summary.id,
    name: summary.name,
    latest: summary.active ? { generation: summary.active.generation, sha256: summary.active.sha256 } : null,
    generations: summary.generations.map((g) => {
      const f = facts.get(g.generation);
      return {
        generation: g.generation,
        sha256: g.sha256,
        parentSha256: g.parentSha256,
        createdAt: g.createdAt.toISOString(),
        contributors: f?.contributors ?? [],
        validation: f?.validation ?? null,
        current: g.active,
      };
    }),
  };
}

/** The ONNX bytes of a generation with its hash and the central signature (stored at publication). */
export async function generationFile(registry: ModelRegistry, store: CentralStore, key: KeyObject, modelId: string, generation: number) {
  try {
    const pkg = await registry.package(modelId, generation);
    const stored = (await store.generationFacts(modelId)).get(generation);
    // Ed25519 is deterministic: signing again gives the stored signature; it covers rows from before it was stored.
    const signature = stored?.signature ?? sign(pkg.onnx, key).toString('base64');
    return { onnx: pkg.onnx, card: pkg.card, sha256: pkg.sha256, signature };
  } catch (e) {
    if (e instanceof ModelRegistryError && e.code === 'not-found') throw httpError('not_found', e.message);
    throw e;
  }
}

export function parseGeneration(text: string | undefined, latest?: number): number {
  if ((text === undefined || text === 'latest') && latest !== undefined) return latest;
  if (!text || !/^\d{1,9}$/.test(text)) throw httpError('bad_request', `generation "${text ?? ''}" is not a number`);
  return Number(text);
}

/** The outcome view of an upload (a site sees only its own). */
export function uploadView(u: Upload) {
  return {
    uploadId: u.uploadId,
    modelId: u.modelId,
    status: u.status,
    ...(u.reason ? { reason: u.reason } : {}),
    ...(u.generation !== null ? { generation: u.generation } : {}),
    baseGeneration: u.baseGeneration,
    ...(u.detail ? { detail: u.detail } : {}),
    receivedAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}
