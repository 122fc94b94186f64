import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { ModelRegistry } from '../../inference/model-registry.js';
import { DeltaError, peekManifest, readDelta } from '../delta.js';
import { checkFits, IncompatibleModelsError } from '../delta-tensors.js';
import type { CentralStore, Site, Upload } from './central-store.js';
import { uploadFile } from './merge-round.js';

/** Why an upload was refused; routes map `code` to the HTTP status of the contract. */
export class UploadRefused extends Error {
  constructor(
    readonly code: 'bad_request' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable',
    message: string,
  ) {
    super(message);
    this.name = 'UploadRefused';
  }
}

/**
 * Accepts one delta file from an authenticated site: format, site and model, a known base generation,
 * payload hash, the site's signature and the tensors' fit against the base are all checked BEFORE
 * anything is stored; then the file is written (atomic rename) and queued. The same payload from the
 * same site again returns the first upload (idempotent: a client retrying after a lost answer).
 */
export async function receiveDelta(deps: { store: CentralStore; registry: ModelRegistry; uploadsDir: string }, site: Site, modelId: string, file: Buffer): Promise<{ upload: Upload; created: boolean }> {
  const { store, registry, uploadsDir } = deps;
  const refuse = (code: UploadRefused['code'], message: string): never => {
    throw new UploadRefused(code, message);
  };
  let manifest;
  try {
    manifest = peekManifest(file);
  } catch (e) {
    if (e instanceof DeltaError) refuse('bad_request', e.message);
    throw e;
  }
  if (manifest!.siteId !== site.siteId) refuse('forbidden', `the delta is signed as site "${manifest!.siteId}", but the token belongs to site "${site.siteId}"`);
  if (manifest!.modelId !== modelId) refuse('bad_request', `the delta is for model "${manifest!.modelId}", not "${modelId}"`);
  const generations = await registry.generations(modelId);
  if (!generations.length) refuse('not_found', `no model "${modelId}" on this central server`);
  const base = generations.find((g) => g.sha256 === manifest!.baseSha256);
  if (!base) refuse('conflict', `unknown base generation ${manifest!.baseSha256.slice(0, 12)}… for model "${modelId}": fetch a published generation and train on it`);
  try {
    const { tensors } = readDelta(file, site.publicKeyPem);
    checkFits((await registry.package(modelId, base!.generation)).model, tensors);
  } catch (e) {
    if (e instanceof DeltaError) refuse(e.code === 'bad-format' ? 'bad_request' : 'unprocessable', e.message);
    if (e instanceof IncompatibleModelsError) refuse('unprocessable', `the delta does not fit generation ${base!.generation}: ${e.message}`);
    throw e;
  }
  const uploadId = randomUUID();
  const target = uploadFile(uploadsDir, uploadId);
  await writeFile(`${target}.tmp`, file);
  await rename(`${target}.tmp`, target);
  const result = await store.insertUpload({
    uploadId,
    modelId,
    siteId: site.siteId,
    payloadSha256: manifest!.payloadSha256,
    baseSha256: manifest!.baseSha256,
    baseGeneration: base!.generation,
    trainingSlices: manifest!.trainingSlices,
    manifest: manifest!,
    fileBytes: file.length,
  });
  if (!result.created) await rm(target, { force: true });
  return result;
}
