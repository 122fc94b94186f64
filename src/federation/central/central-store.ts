import type { Database } from '../../db/data-source.js';
import type { DeltaManifest } from '../delta.js';

/**
 * The central role's tables (migration 1764230000000) through plain parameterised SQL: three small
 * tables that only this folder reads, so they stay out of the node-wide entity list.
 */
export type UploadStatus = 'queued' | 'merging' | 'validating' | 'accepted' | 'rejected' | 'skipped';

export interface Site {
  siteId: string;
  publicKeyPem: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** Excluded from merges by the operator (its deltas are rejected, it is not waited for); it may still pull. */
  excludedAt: Date | null;
  excludedReason: string | null;
}

/** What a site contributed (the operator's view, docs/federation.md "Governance"). */
export interface Contribution {
  siteId: string;
  uploads: Record<string, number>;
  trainingSlices: number;
  generations: number[];
  lastUploadAt: Date | null;
}

export interface Upload {
  uploadId: string;
  modelId: string;
  siteId: string;
  payloadSha256: string;
  baseSha256: string;
  baseGeneration: number;
  trainingSlices: number;
  manifest: DeltaManifest;
  status: UploadStatus;
  reason: string | null;
  generation: number | null;
  detail: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface GenerationFacts {
  modelId: string;
  generation: number;
  sha256: string;
  signature: string;
  contributors: string[];
  validation: Record<string, unknown> | null;
  mergeReport: Record<string, unknown> | null;
  createdAt: Date;
}

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);
const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

function toSite(r: Record<string, unknown>): Site {
  return {
    siteId: String(r.site_id),
    publicKeyPem: String(r.public_key_pem),
    createdAt: date(r.created_at),
    revokedAt: r.revoked_at ? date(r.revoked_at) : null,
    excludedAt: r.excluded_at ? date(r.excluded_at) : null,
    excludedReason: (r.excluded_reason as string | null) ?? null,
  };
}

function toUpload(r: Record<string, unknown>): Upload {
  return {
    uploadId: String(r.upload_id),
    modelId: String(r.model_id),
    siteId: String(r.site_id),
    payloadSha256: String(r.payload_sha256),
    baseSha256: String(r.base_sha256),
    baseGeneration: Number(r.base_generation),
    trainingSlices: Number(r.training_slices),
    manifest: json(r.manifest) as DeltaManifest,
    status: r.status as UploadStatus,
    reason: (r.reason as string | null) ?? null,
    generation: r.generation === null || r.generation === undefined ? null : Number(r.generation),
    detail: (json(r.detail) as Record<string, unknown> | null) ?? null,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

/** A site registration that cannot be made (bad name or key); SiteExistsError: the name is taken. */
export class SiteError extends Error {}
export class SiteExistsError extends SiteError {}

export class CentralStore {
  constructor(private readonly db: Database) {}

  /** Rows of a query. TypeORM answers UPDATE / DELETE with [rows, affectedCount]: unwrap that. */
  private async q(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const result = (await this.db.dataSource.query(sql, params)) as unknown;
    if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Record<string, unknown>[];
    return result as Record<string, unknown>[];
  }

  async addSite(siteId: string, publicKeyPem: string, tokenSha256: string): Promise<void> {
    const rows = await this.q('INSERT INTO federation_site (site_id, public_key_pem, token_sha256) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING site_id', [siteId, publicKeyPem, tokenSha256]);
    if (rows.length === 0) throw new SiteExistsError(`site "${siteId}" is already registered (revoke it and add it under a new name to change its key)`);
  }

  async sites(): Promise<Site[]> {
    const rows = await this.q('SELECT * FROM federation_site ORDER BY site_id');
    return rows.map(toSite);
  }

  /** Returns false when the site does not exist; revoking twice keeps the first date. */
  async revokeSite(siteId: string): Promise<boolean> {
    const rows = await this.q('UPDATE federation_site SET revoked_at = COALESCE(revoked_at, now()) WHERE site_id = $1 RETURNING site_id', [siteId]);
    return rows.length > 0;
  }

  /** Excludes a site from merges (reason kept) or, with reason null, admits it again; false when unknown. */
  async setExcluded(siteId: string, excluded: boolean, reason: string | null = null): Promise<boolean> {
    const rows = excluded
      ? await this.q('UPDATE federation_site SET excluded_at = COALESCE(excluded_at, now()), excluded_reason = $2 WHERE site_id = $1 RETURNING site_id', [siteId, reason])
      : await this.q('UPDATE federation_site SET excluded_at = NULL, excluded_reason = NULL WHERE site_id = $1 RETURNING site_id', [siteId]);
    return rows.length > 0;
  }

  /** Per site: uploads by status, slices merged into published generations, the generations it is in. */
  async contributions(): Promise<Contribution[]> {
    const rows = await this.q(`
      SELECT s.site_id, u.status, count(u.upload_id)::int AS n, coalesce(sum(u.training_slices) FILTER (WHERE u.status = 'accepted'), 0)::int AS slices,
             coalesce(jsonb_agg(DISTINCT u.generation) FILTER (WHERE u.generation IS NOT NULL), '[]'::jsonb) AS gens, max(u.created_at) AS last
      FROM federation_site s LEFT JOIN federation_upload u ON u.site_id = s.site_id GROUP BY s.site_id, u.status ORDER BY s.site_id`);
    const out = new Map<string, Contribution>();
    for (const r of rows) {
      const id = String(r.site_id);
      const c = out.get(id) ?? { siteId: id, uploads: {}, trainingSlices: 0, generations: [], lastUploadAt: null };
      if (r.status) c.uploads[String(r.status)] = Number(r.n);
      c.trainingSlices += Number(r.slices);
      c.generations = [...new Set([...c.generations, ...((json(r.gens) as number[]) ?? [])])].sort((a, b) => a - b);
      if (r.last && (!c.lastUploadAt || date(r.last) > c.lastUploadAt)) c.lastUploadAt = date(r.last);
      out.set(id, c);
    }
    return [...out.values()];
  }

  async siteByTokenHash(tokenSha256: string): Promise<Site | undefined> {
    const [r] = await this.q('SELECT * FROM federation_site WHERE token_sha256 = $1', [tokenSha256]);
    return r ? toSite(r) : undefined;
  }

  /** Inserts a queued upload; the same payload from the same site returns the existing row (idempotent). */
  async insertUpload(u: Pick<Upload, 'uploadId' | 'modelId' | 'siteId' | 'payloadSha256' | 'baseSha256' | 'baseGeneration' | 'trainingSlices' | 'manifest'> & { fileBytes: number }): Promise<{ upload: Upload; created: boolean }> {
    const inserted = await this.q(
      `INSERT INTO federation_upload (upload_id, model_id, site_id, payload_sha256, base_sha256, base_generation, training_slices, training_series, manifest, file_bytes, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, 'queued') ON CONFLICT (site_id, payload_sha256) DO NOTHING RETURNING *`,
      [u.uploadId, u.modelId, u.siteId, u.payloadSha256, u.baseSha256, u.baseGeneration, u.trainingSlices, u.manifest.trainingSeries, JSON.stringify(u.manifest), u.fileBytes],
    );
    if (inserted[0]) return { upload: toUpload(inserted[0]), created: true };
    const [existing] = await this.q('SELECT * FROM federation_upload WHERE site_id = $1 AND payload_sha256 = $2', [u.siteId, u.payloadSha256]);
    return { upload: toUpload(existing!), created: false };
  }

  async upload(uploadId: string): Promise<Upload | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(uploadId)) return undefined;
    const [r] = await this.q('SELECT * FROM federation_upload WHERE upload_id = $1', [uploadId]);
    return r ? toUpload(r) : undefined;
  }

  async uploadsWithStatus(modelId: string, status: UploadStatus): Promise<Upload[]> {
    const rows = await this.q('SELECT * FROM federation_upload WHERE model_id = $1 AND status = $2 ORDER BY created_at, upload_id', [modelId, status]);
    return rows.map(toUpload);
  }

  /** Per model: how many deltas wait and since when (to decide whether a merge window is due). */
  async queueSummary(): Promise<{ modelId: string; count: number; oldest: Date }[]> {
    const rows = await this.q(`SELECT model_id, count(*) AS n, min(created_at) AS oldest FROM federation_upload WHERE status = 'queued' GROUP BY model_id ORDER BY model_id`);
    return rows.map((r) => ({ modelId: String(r.model_id), count: Number(r.n), oldest: date(r.oldest) }));
  }

  /** Back to 'queued' what a crashed merge left in 'merging' (start-up recovery). */
  async requeueMerging(): Promise<number> {
    const rows = await this.q(`UPDATE federation_upload SET status = 'queued', updated_at = now() WHERE status = 'merging' RETURNING upload_id`);
    return rows.length;
  }

  async setOutcome(uploadIds: readonly string[], status: UploadStatus, reason: string | null, generation: number | null = null, detail: Record<string, unknown> | null = null): Promise<void> {
    if (!uploadIds.length) return;
    await this.q('UPDATE federation_upload SET status = $2, reason = $3, generation = $4, detail = $5::jsonb, updated_at = now() WHERE upload_id = ANY($1::uuid[])', [
      uploadIds,
      status,
      reason,
      generation,
      detail === null ? null : JSON.stringify(detail),
    ]);
  }

  async recordGeneration(f: Omit<GenerationFacts, 'createdAt'>): Promise<void> {
    await this.q(
      `INSERT INTO federation_generation (model_id, generation, sha256, signature, contributors, validation, merge_report) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb)
       ON CONFLICT (model_id, generation) DO NOTHING`,
      [f.modelId, f.generation, f.sha256, f.signature, JSON.stringify(f.contributors), f.validation === null ? null : JSON.stringify(f.validation), f.mergeReport === null ? null : JSON.stringify(f.mergeReport)],
    );
  }

  async generationFacts(modelId: string): Promise<Map<number, GenerationFacts>> {
    const rows = await this.q('SELECT * FROM federation_generation WHERE model_id = $1 ORDER BY generation', [modelId]);
    return new Map(
      rows.map((r) => [
        Number(r.generation),
        {
          modelId,
          generation: Number(r.generation),
          sha256: String(r.sha256).trim(),
          signature: String(r.signature),
          contributors: (json(r.contributors) as string[]) ?? [],
          validation: (json(r.validation) as Record<string, unknown> | null) ?? null,
          mergeReport: (json(r.merge_report) as Record<string, unknown> | null) ?? null,
          createdAt: date(r.created_at),
        },
      ]),
    );
  }
}
