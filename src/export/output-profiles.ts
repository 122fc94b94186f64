import { z } from 'zod';

/**
 * What a destination receives of a result (issue 18 item 2, docs/routing.md "Output profiles"):
 * - `seg`: the DICOM SEG (PS3.3 A.51), the default;
 * - `sr`: the quantitative measurement report (TID 1500 in Enhanced SR, PS3.3 A.35.2): per segment
 *   volume, signal mean / SD, and the fat fraction of a Dixon study;
 * - `sc-overlay`: Secondary Capture images (PS3.3 A.8.1), one per source slice, outlines burned in,
 *   for a PACS that cannot display SEG.
 * A destination may list profiles (its default); a rule's destination entry may list its own,
 * which win. Neither: `seg`.
 */
export const OUTPUT_PROFILES = ['seg', 'sr', 'sc-overlay'] as const;
export type OutputProfile = (typeof OUTPUT_PROFILES)[number];

export const profilesSchema = z
  .array(z.enum(OUTPUT_PROFILES))
  .min(1)
  .refine((p) => new Set(p).size === p.length, { message: 'each profile once' });

export const DEFAULT_PROFILES: readonly OutputProfile[] = ['seg'];

/** The rule entry's profiles, else the destination's, else `seg`. */
export function effectiveProfiles(ruleEntry: readonly OutputProfile[] | undefined, destination: readonly OutputProfile[] | null | undefined): OutputProfile[] {
  return [...(ruleEntry ?? destination ?? DEFAULT_PROFILES)];
}
