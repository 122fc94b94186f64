/**
 * What each destination of a rule receives, by its output profiles (output-profiles.ts): the SEG
 * variant of its SEG options, the SR, the overlay instances. One delivery row per (destination,
 * SOP Instance UID), so every object goes through the same delivery, retry and supersede
 * machinery as a SEG (deliveries.ts, supersede.ts).
 */
import type { Database } from '../db/data-source.js';
import { variantKey } from '../inference/seg-variants.js';
import type { SegOptions } from '../routing/rule-types.js';
import { effectiveProfiles, type OutputProfile } from './output-profiles.js';

export interface RuleDestination {
  name: string;
  seg: SegOptions;
  profiles?: OutputProfile[];
}

/** Each rule destination's effective profiles (its own, else the destination's, else seg). */
export async function destinationProfiles(db: Database, dests: readonly RuleDestination[]): Promise<Map<string, OutputProfile[]>> {
  const names = dests.map((d) => d.name);
  const rows = names.length
    ? ((await db.dataSource.query('SELECT name, profiles FROM destination WHERE name = ANY($1::text[])', [names])) as { name: string; profiles: OutputProfile[] | null }[])
    : [];
  const own = new Map(rows.map((r) => [r.name, r.profiles]));
  return new Map(dests.map((d) => [d.name, effectiveProfiles(d.profiles, own.get(d.name))]));
}

export const wantsOverlay = (profiles: ReadonlyMap<string, OutputProfile[]>): boolean => [...profiles.values()].some((p) => p.includes('sc-overlay'));

export function deliveryItems(dests: readonly RuleDestination[], profiles: ReadonlyMap<string, OutputProfile[]>, segVariants: ReadonlyMap<string, string>, derived: { sr: string; overlay: { sop: string }[] } | undefined): { destination: string; sopInstanceUid: string }[] {
  const items: { destination: string; sopInstanceUid: string }[] = [];
  for (const dest of dests) {
    for (const p of profiles.get(dest.name) ?? ['seg']) {
      if (p === 'seg') {
        const sop = segVariants.get(variantKey(dest.seg));
        if (sop) items.push({ destination: dest.name, sopInstanceUid: sop });
      } else if (p === 'sr' && derived) items.push({ destination: dest.name, sopInstanceUid: derived.sr });
      else if (p === 'sc-overlay' && derived) for (const o of derived.overlay) items.push({ destination: dest.name, sopInstanceUid: o.sop });
    }
  }
  return items;
}
