import { z } from 'zod';
import { aeTitle } from '../config/schema.js';
import type { Database } from '../db/data-source.js';
import { returnedRows } from '../db/returned-rows.js';
import { profilesSchema, type OutputProfile } from './output-profiles.js';

/** A DIMSE Storage SCP (PS3.4 Annex B): where C-STORE goes, and C-ECHO for the connectivity test. */
export const dimsePeerSchema = z
  .object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535),
    /** The called AE title; the calling AE is the node's own `dimse.aeTitle`. */
    aeTitle,
  })
  .strict();
export type DimsePeer = z.output<typeof dimsePeerSchema>;

const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: z.string() }).strict(),
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }).strict(),
]);

/**
 * How a SEG that a re-run superseded is deleted at this destination (docs/routing.md, "Late
 * instances"). Neither STOW-RS (PS3.18 §10.5) nor C-STORE (PS3.4 B) can delete, so this is the
 * PACS's own interface: `orthanc` = Orthanc's REST API (POST /tools/lookup, DELETE /instances/{id})
 * at `url` (auth: its own, else the destination's); `dicomweb` = HTTP DELETE of the instance
 * resource under the destination's `url` (not in PS3.18; e.g. dcm4chee-arc, Google Cloud
 * Healthcare). Without it a superseded SEG stays there, flagged in the delivery's reason.
 */
export const removeSupersededSchema = z.discriminatedUnion('via', [
  z.object({ via: z.literal('orthanc'), url: z.url().refine((u) => /^https?:\/\//.test(u), 'http:// or https:// only'), auth: authSchema.optional() }).strict(),
  z.object({ via: z.literal('dicomweb') }).strict(),
]);
export type RemoveSuperseded = z.output<typeof removeSupersededSchema>;

/**
 * A destination: a DICOMweb STOW-RS target (PS3.18 §10.5; QIDO-RS for the connectivity test) given
 * by `url`, or a DIMSE Storage SCP given by `dimse`. Exactly one of the two.
 */
export const destinationSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (≤ 64)'),
    /** The DICOMweb root, e.g. http://pacs:8042/dicom-web (STOW posts to {url}/studies). */
    url: z.url().refine((u) => /^https?:\/\//.test(u), 'http:// or https:// only').optional(),
    dimse: dimsePeerSchema.optional(),
    auth: authSchema.optional(),
    removeSuperseded: removeSupersededSchema.optional(),
    timeoutSeconds: z.number().min(1).max(3600).default(30),
    /** What this destination receives by default (seg / sr / sc-overlay); a rule's entry may override. Absent: seg. */
    profiles: profilesSchema.optional(),
  })
  .strict()
  .refine((d) => (d.url === undefined) !== (d.dimse === undefined), { message: 'give either url (DICOMweb) or dimse ({ host, port, aeTitle }), not both', path: ['url'] })
  .refine((d) => d.auth === undefined || d.url !== undefined, { message: 'auth is for DICOMweb (url) destinations only', path: ['auth'] })
  .refine((d) => d.removeSuperseded?.via !== 'dicomweb' || d.url !== undefined, { message: 'via: dicomweb needs a DICOMweb (url) destination; use via: orthanc with its REST url', path: ['removeSuperseded'] });
export type Destination = z.output<typeof destinationSchema>;
export type DestinationInput = z.input<typeof destinationSchema>;

export class DestinationError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'invalid') {
    super(message);
    this.name = 'DestinationError';
  }
}

interface Row {
  name: string;
  url: string | null;
  dimse: DimsePeer | null;
  auth: Destination['auth'] | null;
  remove_superseded: RemoveSuperseded | null;
  profiles: OutputProfile[] | null;
  timeout_ms: number;
  source: string;
  updated_by: string;
  updated_at: Date | string;
}

const toDestination = (r: Row): Destination => ({
  name: r.name,
  ...(r.url !== null ? { url: r.url } : {}),
  ...(r.dimse !== null ? { dimse: r.dimse } : {}),
  auth: r.auth ?? undefined,
  ...(r.remove_superseded ? { removeSuperseded: r.remove_superseded } : {}),
  ...(r.profiles ? { profiles: r.profiles } : {}),
  timeoutSeconds: Number(r.timeout_ms) / 1000,
});

/** What the API shows: never the password or token. */
export function redact(d: Destination & { source?: string; updatedBy?: string; updatedAt?: string }): Record<string, unknown> {
  const hide = (a: Destination['auth']) => (a ? { type: a.type, ...(a.type === 'basic' ? { username: a.username } : {}) } : undefined);
  const rs = d.removeSuperseded;
  return { ...d, auth: hide(d.auth), ...(rs ? { removeSuperseded: rs.via === 'orthanc' ? { ...rs, auth: hide(rs.auth) } : rs } : {}) };
}

/** Destinations from YAML (source `yaml`, upserted at start) and the API (source `api`). */
export class DestinationStore {
  constructor(private readonly db: Database) {}

  async list(): Promise<(Destination & { source: string; updatedBy: string; updatedAt: string })[]> {
    const rows = (await this.db.dataSource.query('SELECT * FROM destination ORDER BY name')) as Row[];
    return rows.map((r) => ({ ...toDestination(r), source: r.source, updatedBy: r.updated_by, updatedAt: new Date(r.updated_at).toISOString() }));
  }

  async get(name: string): Promise<Destination> {
    const [row] = (await this.db.dataSource.query('SELECT * FROM destination WHERE name = $1', [name])) as Row[];
    if (!row) throw new DestinationError(`no destination "${name}"`, 'not-found');
    return toDestination(row);
  }

  async put(input: unknown, actor: string, source: 'api' | 'yaml'): Promise<Destination> {
    const parsed = destinationSchema.safeParse(input);
    if (!parsed.success) throw new DestinationError(parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(destination)'}: ${i.message}`).join('; '), 'invalid');
    const d = parsed.data;
    await this.db.dataSource.query(
      `INSERT INTO destination (name, url, dimse, auth, timeout_ms, source, updated_by, updated_at, remove_superseded, profiles) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, now(), $8::jsonb, $9::jsonb)
       ON CONFLICT (name) DO UPDATE SET url = EXCLUDED.url, dimse = EXCLUDED.dimse, auth = EXCLUDED.auth, timeout_ms = EXCLUDED.timeout_ms, source = EXCLUDED.source,
         updated_by = EXCLUDED.updated_by, updated_at = now(), remove_superseded = EXCLUDED.remove_superseded, profiles = EXCLUDED.profiles`,
      [d.name, d.url?.replace(/\/+$/, '') ?? null, d.dimse ? JSON.stringify(d.dimse) : null, d.auth ? JSON.stringify(d.auth) : null, Math.round(d.timeoutSeconds * 1000), source, actor, d.removeSuperseded ? JSON.stringify(d.removeSuperseded) : null, d.profiles ? JSON.stringify(d.profiles) : null],
    );
    return this.get(d.name);
  }

  async remove(name: string): Promise<void> {
    const r: unknown = await this.db.dataSource.query('DELETE FROM destination WHERE name = $1 RETURNING name', [name]);
    if (returnedRows(r).length === 0) throw new DestinationError(`no destination "${name}"`, 'not-found');
  }
}
