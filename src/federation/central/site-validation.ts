import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RoundDeps } from './merge-round.js';
import type { Proposal, ProposalStep, ProposalStore, SiteReport } from './proposal-store.js';
import { publishGeneration, type Contribution } from './publish-generation.js';
import { reportFits, siteVerdict } from './site-report-rule.js';
import type { Score } from './validation-set.js';

/**
 * Site validation (docs/federation.md "Site validation", issue 20 item 3): a window's merged update is
 * PROPOSED at every server step the central pre-check passed; sites download the candidates (signed by
 * the central key), score them and their root on their own held-out / benchmark sets and report the
 * numbers; once every expected site reported (or central.siteValidation.waitSeconds passed) the first
 * step no site loses more than ε on is published, else the window is rejected with each step's worst
 * site in the reason. Expected sites: registered, not revoked, not excluded by the operator.
 */
export type ValidationDeps = RoundDeps & { proposals: ProposalStore };

export interface ProposalContext {
  contributions: Contribution[];
  rootScore: Score;
  stepScores: Score[];
  mergeReport: Record<string, unknown>;
  aggregation: string;
}

export const proposalsDir = (uploadsDir: string) => path.join(path.dirname(uploadsDir), 'proposals');
export const proposalFile = (uploadsDir: string, proposalId: string, k: number) => path.join(proposalsDir(uploadsDir), `${proposalId}-${k}.onnx`);

export async function propose(d: ValidationDeps, root: { modelId: string; generation: number; sha256: string }, candidates: { step: number; onnx: Buffer; score: Score }[], ctx: ProposalContext): Promise<Proposal> {
  const steps: ProposalStep[] = candidates.map((c) => ({ step: c.step, sha256: createHash('sha256').update(c.onnx).digest('hex'), centralDice: c.score.mean }));
  const uploadIds = ctx.contributions.map((c) => c.uploadId);
  const p = await d.proposals.create({ modelId: root.modelId, rootGeneration: root.generation, rootSha256: root.sha256, uploadIds, steps, context: ctx as unknown as Record<string, unknown> });
  mkdirSync(proposalsDir(d.uploadsDir), { recursive: true });
  candidates.forEach((c, k) => writeFileSync(proposalFile(d.uploadsDir, p.proposalId, k), c.onnx));
  const reason = `merged with ${uploadIds.length} delta(s); proposed to the sites at server step${steps.length > 1 ? 's' : ''} ${steps.map((s) => s.step).join(', ')} (central validation ${ctx.rootScore.mean.toFixed(4)} → ${steps.map((s) => s.centralDice.toFixed(4)).join(' / ')}); waiting for their validation reports`;
  await d.store.setOutcome(uploadIds, 'validating', reason, null, { proposalId: p.proposalId });
  d.log.info({ modelId: root.modelId, proposal: p.proposalId, steps: steps.map((s) => s.step), deltas: uploadIds.length }, 'merge proposed for site validation');
  return p;
}

/** Sites whose reports a proposal waits for. */
export async function expectedSites(d: Pick<RoundDeps, 'store'>): Promise<string[]> {
  return (await d.store.sites()).filter((s) => !s.revokedAt && !s.excludedAt).map((s) => s.siteId);
}

/** Decides every open proposal that is due; returns the generations published. */
export async function decideProposals(d: ValidationDeps, now = Date.now()): Promise<number[]> {
  const published: number[] = [];
  for (const p of await d.proposals.open()) {
    const expected = await expectedSites(d);
    const all = await d.proposals.reports(p.proposalId);
    const reports = new Map([...all].filter(([site, r]) => expected.includes(site) && reportFits(r, p.steps.length)));
    const missing = expected.filter((s) => !reports.has(s));
    const timedOut = now - p.createdAt.getTime() >= d.config.siteValidation.waitSeconds * 1000;
    if (missing.length && !timedOut) continue;
    if (!(await d.proposals.claim(p.proposalId))) continue;
    try {
      const g = await decide(d, p, reports, missing);
      if (g !== null) published.push(g);
    } catch (err) {
      await d.proposals.release(p.proposalId);
      throw err;
    }
  }
  return published;
}

async function decide(d: ValidationDeps, p: Proposal, reports: Map<string, SiteReport>, missing: string[]): Promise<number | null> {
  const ctx = p.context as unknown as ProposalContext;
  const close = async (status: 'published' | 'rejected', reason: string, generation: number | null) => {
    await d.proposals.decide(p.proposalId, status, reason, generation);
    // The published candidate now lives in the registry; the other steps are of no further use.
    p.steps.forEach((_, k) => rmSync(proposalFile(d.uploadsDir, p.proposalId, k), { force: true }));
  };
  const root = await d.registry.active(p.modelId);
  if (root.sha256 !== p.rootSha256) {
    const reason = `site validation: the root changed to generation ${root.card.generation} while the sites validated; the window was not published`;
    await close('rejected', reason, null);
    await d.store.setOutcome(p.uploadIds, 'rejected', reason, null, { proposalId: p.proposalId });
    return null;
  }
  const verdict = siteVerdict(p.steps.map((s) => s.step), reports, d.config.epsilon);
  const late = missing.length ? `; no report from ${missing.join(', ')} within ${d.config.siteValidation.waitSeconds} s` : '';
  const detail = { proposalId: p.proposalId, reports: Object.fromEntries(reports), steps: verdict.steps, missing };
  if (verdict.chosen === null) {
    const reason = `central gate: ${verdict.reason}${late}; against generation ${p.rootGeneration} nothing was published`;
    await close('rejected', reason, null);
    await d.store.setOutcome(p.uploadIds, 'rejected', reason, null, detail);
    d.log.info({ modelId: p.modelId, proposal: p.proposalId }, reason);
    return null;
  }
  const k = verdict.chosen;
  const candidate = await readFile(proposalFile(d.uploadsDir, p.proposalId, k));
  const pub = await publishGeneration(d, {
    root, candidate, step: p.steps[k]!.step, contributions: ctx.contributions, rootScore: ctx.rootScore, candidateScore: ctx.stepScores[k]!,
    mergeReport: { ...ctx.mergeReport, proposalId: p.proposalId, serverStep: p.steps[k]!.step }, aggregation: ctx.aggregation, siteReports: detail,
  });
  const reason = `${verdict.reason}${late}; within ε ${d.config.epsilon} at every reporting site: published as generation ${pub.generation}`;
  await close('published', reason, pub.generation);
  await d.store.setOutcome(p.uploadIds, 'accepted', reason, pub.generation, detail);
  return pub.generation;
}
