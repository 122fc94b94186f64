import Router from '@koa/router';
import type { TokenConfig } from '../../config/schema.js';
import type { AppContext } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import { readJsonBody } from '../../http/json-body.js';
import { resolvePrincipal, type CentralState } from './central-auth.js';
import { generationFile, listModels, modelInfo, parseGeneration } from './central-views.js';
import { queueDelta, type CentralRouteDeps } from './routes.js';

/**
 * Dafne-compatible aliases (docs/federation.md "Protocol", mapping table): Dafne's clients POST JSON
 * with `api_key` in the body to get_available_models, info_model, get_model and upload_model. Here
 * `api_key` is a site token, `model_type` a model id and `timestamp` a generation number. Dafne's
 * upload_model takes a whole pickled model (multipart); ours takes a signed delta, base64 in `delta`:
 * the name and the authentication map, the payload cannot (no executable model files, DESIGN §5).
 */
export function dafneCompatRouter(deps: CentralRouteDeps, tokens: readonly TokenConfig[]): Router<CentralState> {
  const r = new Router<CentralState>({ prefix: '/federation/v1/dafne' });
  const body = async (ctx: AppContext & { state: CentralState }, max = 64 * 1024): Promise<Record<string, unknown>> => {
    const b = await readJsonBody(ctx, max);
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw httpError('bad_request', 'the body must be a JSON object');
    const key = (b as Record<string, unknown>).api_key;
    if (typeof key !== 'string' || !key) throw httpError('unauthorized', 'api_key is required in the body');
    await resolvePrincipal(ctx.state, deps.store, tokens, key);
    return b as Record<string, unknown>;
  };
  const modelType = (b: Record<string, unknown>) => {
    if (typeof b.model_type !== 'string' || !b.model_type) throw httpError('bad_request', 'model_type is required');
    return b.model_type;
  };

  r.post('/get_available_models', async (ctx) => {
    await body(ctx as never);
    ctx.body = { models: (await listModels(deps.registry)).models.map((m) => m.id) };
  });
  r.post('/info_model', async (ctx) => {
    const info = await modelInfo(deps.registry, deps.store, modelType(await body(ctx as never)));
    ctx.body = {
      latest_timestamp: info.latest?.generation ?? null,
      hash: info.latest?.sha256 ?? null,
      hashes: Object.fromEntries(info.generations.map((g) => [String(g.generation), g.sha256])),
      ...info,
    };
  });
  r.post('/get_model', async (ctx) => {
    const b = await body(ctx as never);
    const id = modelType(b);
    const latest = (await modelInfo(deps.registry, deps.store, id)).latest?.generation;
    const gen = parseGeneration(b.timestamp === undefined || b.timestamp === null ? undefined : String(b.timestamp), latest);
    const f = await generationFile(deps.registry, deps.store, deps.key, id, gen);
    ctx.set('X-Dafne-Sha256', f.sha256);
    ctx.set('X-Dafne-Signature', f.signature);
    ctx.set('X-Dafne-Generation', String(gen));
    ctx.type = 'application/octet-stream';
    ctx.body = f.onnx;
  });
  r.post('/upload_model', async (ctx) => {
    const b = await body(ctx as never, Math.ceil((deps.maxDeltaBytes * 4) / 3) + 4096);
    if (typeof b.delta !== 'string') throw httpError('bad_request', 'upload_model takes the signed delta file, base64, in "delta" (not a whole model)');
    const { uploadId, status, created } = await queueDelta(deps, ctx.state, modelType(b), Buffer.from(b.delta, 'base64'));
    ctx.status = 202;
    ctx.body = { uploadId, status, ...(created ? {} : { duplicate: true }) };
  });
  return r;
}
