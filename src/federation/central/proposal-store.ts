import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/data-source.js';
import { returnedRows } from '../../db/returned-rows.js';

/**
 * Merge proposals and the sites' validation reports (migration 1764320000000, docs/federation.md
 * "Site validation"): a window's candidate generations wait here until the sites have scored them on
 * their own held-out data, because the central set cannot stand in for the sites' populations
 * (issue 20: a generation the central set passed lost 0.093 on one site's held-out set).
 */
export interface ProposalStep {
  step: number;
  sha256: string;
  /** Central validation of this candidate (the pre-check every step passed before it was proposed). */
  centralDice: number;
}

export interface Proposal {
  proposalId: string;
  modelId: string;
  rootGeneration: number;
  rootSha256: string;
  uploadIds: string[];
  steps: ProposalStep[];
  /** What publishing needs later (merge report, contributors, central scores): opaque to the store. */
  context: Record<string, unknown>;
  status: 'open' | 'deciding' | 'published' | 'rejected';
  reason: string | null;
  generation: number | null;
  createdAt: Date;
}

/** One set's scores at a site: the root and every proposed step, on the same slices. */
export interface SetScores {
  slices: number;
  root: number;
  steps: number[];
}

/** A site's report: mean Dice only (no images, no identifiers; privacy test greps them). */
export interface SiteReport {
  heldOut?: SetScores;
  benchmark?: SetScores;
}

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

function toProposal(r: Record<string, unknown>): Proposal {
  return {
    proposalId: String(r.proposal_id),
    modelId: String(r.model_id),
    rootGeneration: Number(r.root_generation),
    rootSha256: String(r.root_sha256).trim(),
    uploadIds: json(r.upload_ids) as string[],
    steps: json(r.steps) as ProposalStep[],
    context: json(r.context) as Record<string, unknown>,
    status: r.status as Proposal['status'],
    reason: (r.reason as string | null) ?? null,
    generation: r.generation === null || r.generation === undefined ? null : Number(r.generation),
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
  };
}

export class ProposalStore {
  constructor(private readonly db: Database) {}

  private async q(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return returnedRows<Record<string, unknown>>(await this.db.dataSource.query(sql, params));
  }

  async create(p: Pick<Proposal, 'modelId' | 'rootGeneration' | 'rootSha256' | 'uploadIds' | 'steps' | 'context'>): Promise<Proposal> {
    const [r] = await this.q(
      `INSERT INTO federation_proposal (proposal_id, model_id, root_generation, root_sha256, upload_ids, steps, context) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb) RETURNING *`,
      [randomUUID(), p.modelId, p.rootGeneration, p.rootSha256, JSON.stringify(p.uploadIds), JSON.stringify(p.steps), JSON.stringify(p.context)],
    );
    return toProposal(r!);
  }

  async get(proposalId: string): Promise<Proposal | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(proposalId)) return undefined;
    const [r] = await this.q('SELECT * FROM federation_proposal WHERE proposal_id = $1', [proposalId]);
    return r ? toProposal(r) : undefined;
  }

  async open(modelId?: string): Promise<Proposal[]> {
    const rows = modelId
      ? await this.q(`SELECT * FROM federation_proposal WHERE status = 'open' AND model_id = $1 ORDER BY created_at`, [modelId])
      : await this.q(`SELECT * FROM federation_proposal WHERE status = 'open' ORDER BY created_at`);
    return rows.map(toProposal);
  }

  /** Latest proposals of a model, decided or not (the operator's view of why rounds stall). */
  async recent(modelId: string, limit = 20): Promise<Proposal[]> {
    return (await this.q('SELECT * FROM federation_proposal WHERE model_id = $1 ORDER BY created_at DESC LIMIT $2', [modelId, limit])).map(toProposal);
  }

  /** Only an open proposal takes reports; a site's second report replaces its first. Returns false when closed. */
  async report(proposalId: string, siteId: string, report: SiteReport): Promise<boolean> {
    const rows = await this.q(
      `INSERT INTO federation_site_report (proposal_id, site_id, report) SELECT $1, $2, $3::jsonb WHERE EXISTS (SELECT 1 FROM federation_proposal WHERE proposal_id = $1 AND status = 'open')
       ON CONFLICT (proposal_id, site_id) DO UPDATE SET report = EXCLUDED.report, created_at = now() RETURNING site_id`,
      [proposalId, siteId, JSON.stringify(report)],
    );
    return rows.length > 0;
  }

  async reports(proposalId: string): Promise<Map<string, SiteReport>> {
    const rows = await this.q('SELECT site_id, report FROM federation_site_report WHERE proposal_id = $1 ORDER BY site_id', [proposalId]);
    return new Map(rows.map((r) => [String(r.site_id), json(r.report) as SiteReport]));
  }

  /**
   * Takes an open proposal for deciding (open → deciding) so that two ticks (the timer's and an
   * operator's `central merge`) cannot both publish it; false when someone else took it first.
   */
  async claim(proposalId: string): Promise<boolean> {
    return (await this.q(`UPDATE federation_proposal SET status = 'deciding' WHERE proposal_id = $1 AND status = 'open' RETURNING proposal_id`, [proposalId])).length > 0;
  }

  /** Gives a claimed proposal back (the decision failed half-way: scoring, disk). */
  async release(proposalId: string): Promise<void> {
    await this.q(`UPDATE federation_proposal SET status = 'open' WHERE proposal_id = $1 AND status = 'deciding' RETURNING proposal_id`, [proposalId]);
  }

  /** Records the decision of a claimed proposal. */
  async decide(proposalId: string, status: 'published' | 'rejected', reason: string, generation: number | null): Promise<void> {
    await this.q(`UPDATE federation_proposal SET status = $2, reason = $3, generation = $4, decided_at = now() WHERE proposal_id = $1 AND status = 'deciding' RETURNING proposal_id`, [proposalId, status, reason, generation]);
  }
}
