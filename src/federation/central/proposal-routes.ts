import Router from '@koa/router';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { requireRole } from '../../http/auth.js';
import type { AppContext } from '../../http/context.js';
import { httpError } from '../../http/errors.js';
import { readJsonBody } from '../../http/json-body.js';
import { sign } from '../signing.js';
import type { CentralState } from './central-auth.js';
import type { ProposalStore, SetScores, SiteReport } from './proposal-store.js';
import { reportFits } from './site-report-rule.js';
import { proposalFile } from './site-validation.js';

/**
 * Site validation over HTTP (docs/federation.md "Site validation"): a site lists the open proposals of
 * a model, downloads each step's candidate (hash + central signature in headers, like a generation)
 * and posts its scores. Operators read a proposal with every report. Sites see no other site's report.
 */
export interface ProposalRouteDeps {
  proposals: ProposalStore;
  key: KeyObject;
  uploadsDir: string;
  /** Called after a report (the decision may be due now). */
  onReport?: () => void;
}

const scores = (v: unknown): SetScores | undefined => {
  if (v === undefined || v === null) return undefined;
  const s = v as Partial<SetScores>;
  if (typeof s.slices !== 'number' || typeof s.root !== 'number' || !Array.isArray(s.steps)) throw httpError('bad_request', 'each set: { slices, root, steps: [Dice per proposed step] }');
  // Only the numbers are kept: nothing else a site sends is stored.
  return { slices: s.slices, root: s.root, steps: s.steps.map(Number) };
};

export function proposalRouter(deps: ProposalRouteDeps): Router<CentralState> {
  const r = new Router<CentralState>({ prefix: '/federation/v1' });
  const reader = requireRole('node', 'admin');
  const openOne = async (id: string) => {
    const p = await deps.proposals.get(id);
    if (!p) throw httpError('not_found', `no proposal ${id}`);
    return p;
  };

  r.get('/models/:id/proposals', reader, async (ctx) => {
    const open = await deps.proposals.open(ctx.params.id!);
    const site = ctx.state.site?.siteId;
    const reported = await Promise.all(open.map(async (p) => (site ? (await deps.proposals.reports(p.proposalId)).has(site) : false)));
    ctx.body = {
      proposals: open.map((p, i) => ({ proposalId: p.proposalId, modelId: p.modelId, rootGeneration: p.rootGeneration, rootSha256: p.rootSha256, steps: p.steps.map((s) => ({ step: s.step, sha256: s.sha256 })), createdAt: p.createdAt.toISOString(), reported: reported[i] })),
    };
  });
  r.get('/proposals/:pid', requireRole('admin'), async (ctx) => {
    const p = await openOne(ctx.params.pid!);
    ctx.body = { ...p, context: undefined, reports: Object.fromEntries(await deps.proposals.reports(p.proposalId)) };
  });
  r.get('/proposals/:pid/steps/:k/model.onnx', reader, async (ctx) => {
    const p = await openOne(ctx.params.pid!);
    const k = Number(ctx.params.k);
    if (!Number.isInteger(k) || !p.steps[k]) throw httpError('not_found', `proposal ${p.proposalId} has no step ${ctx.params.k}`);
    if (p.status !== 'open') throw httpError('conflict', `proposal ${p.proposalId} is ${p.status}`);
    const onnx = await readFile(proposalFile(deps.uploadsDir, p.proposalId, k));
    ctx.set('X-Dafne-Sha256', p.steps[k]!.sha256);
    ctx.set('X-Dafne-Signature', sign(onnx, deps.key).toString('base64'));
    ctx.type = 'application/octet-stream';
    ctx.body = onnx;
  });
  r.post('/proposals/:pid/reports', requireRole('node'), async (ctx) => {
    const site = ctx.state.site;
    if (!site) throw httpError('forbidden', 'only a registered site reports a validation');
    const p = await openOne(ctx.params.pid!);
    const b = (await readJsonBody(ctx as unknown as AppContext)) as Record<string, unknown> | null;
    const report: SiteReport = {};
    const heldOut = scores(b?.heldOut), benchmark = scores(b?.benchmark);
    if (heldOut) report.heldOut = heldOut;
    if (benchmark) report.benchmark = benchmark;
    if (!reportFits(report, p.steps.length)) throw httpError('bad_request', `send { heldOut?, benchmark? }, each { slices > 0, root, steps } with ${p.steps.length} finite step score(s)`);
    if (!(await deps.proposals.report(p.proposalId, site.siteId, report))) throw httpError('conflict', `proposal ${p.proposalId} is already decided`);
    deps.onReport?.();
    ctx.status = 202;
    ctx.body = { proposalId: p.proposalId, siteId: site.siteId, accepted: true };
  });
  return r;
}
