import { z } from 'zod';
import { profilesSchema } from '../export/output-profiles.js';
import { ROUTING_ATTRIBUTES, type RoutingAttribute } from './routing-attributes.js';

/**
 * Routing rules (issue 4, docs/routing.md). A rule matches a stable series when every condition
 * holds; its actions name the model, the destinations (each with its SEG options) and the review
 * policy. Attribute names are DICOM keywords (PS3.6), plus the derived `Sender` (the name of the
 * token that stored the series) and `Plane` (axial / coronal / sagittal / oblique, from Image
 * Orientation (Patient)); the list lives in routing-attributes.ts.
 */
export { ROUTING_ATTRIBUTES, type RoutingAttribute };

const scalar = z.union([z.string(), z.number()]);

/** One condition (exactly one operator is set). */
export interface Condition {
  equals?: string | number;
  wildcard?: string;
  regex?: string;
  in?: (string | number)[];
  range?: { min?: number; max?: number };
  present?: boolean;
  ignoreCase?: boolean;
}

/** One condition; a bare string or number is shorthand for `{ equals: value }`. */
export const conditionSchema: z.ZodType<Condition, unknown> = z.union([
  scalar.transform((v): Condition => ({ equals: v })),
  z
    .object({
      equals: scalar.optional(),
      wildcard: z.string().optional(),
      regex: z.string().optional(),
      in: z.array(scalar).min(1).optional(),
      range: z.object({ min: z.number().optional(), max: z.number().optional() }).strict().optional(),
      present: z.boolean().optional(),
      /** Case-insensitive text comparison (equals, wildcard, in, regex); default true. */
      ignoreCase: z.boolean().optional(),
    })
    .strict()
    .refine((c) => ['equals', 'wildcard', 'regex', 'in', 'range', 'present'].filter((k) => (c as Record<string, unknown>)[k] !== undefined).length === 1, {
      message: 'a condition has exactly one of equals, wildcard, regex, in, range, present',
    })
    .refine((c) => c.regex === undefined || isRegex(c.regex), { message: 'regex is not a valid regular expression' }),
]);

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** SEG options per destination: which labels it receives, and the SEG's series description. */
export const segOptionsSchema = z
  .object({
    labels: z.array(z.string().min(1)).min(1).optional(),
    seriesDescription: z.string().min(1).max(64).optional(),
  })
  .strict();
export type SegOptions = z.infer<typeof segOptionsSchema>;

const whenSchema = z.partialRecord(z.enum(ROUTING_ATTRIBUTES), conditionSchema);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * One series a study rule waits for: a name (what messages and the API call it: "study lacks
 * series dixon") and the conditions a stable series of the study must meet to be it, on top of
 * the rule's own `when`. At least one condition, or every series of the study would be it.
 */
export const requiredSeriesSchema = z
  .object({
    name: z.string().regex(NAME, 'letters, digits, _ . - (≤ 64)'),
    when: whenSchema.refine((w) => Object.keys(w).length > 0, { message: 'a required series needs at least one condition' }),
  })
  .strict();
export type RequiredSeries = z.output<typeof requiredSeriesSchema>;

/** `trigger: study` (mercure-style): wait for the study's required series, run on `input`. */
export const studyTriggerSchema = z
  .object({
    requiredSeries: z.array(requiredSeriesSchema).min(1).max(20),
    /** The required series the model runs on; default the first. */
    input: z.string().min(1).optional(),
    /** From the first matching series becoming stable; then `onTimeout` decides. */
    timeoutSeconds: z.number().int().min(1).max(7 * 86_400),
    /** `skip`: no job, the wait ends `timed-out` with the missing series; `run`: run on the input anyway (if it is there). */
    onTimeout: z.enum(['skip', 'run']).default('skip'),
  })
  .strict();
export type StudyTrigger = z.output<typeof studyTriggerSchema>;

export const ruleSchema = z
  .object({
    id: z.string().regex(NAME, 'letters, digits, _ . - (≤ 64)'),
    name: z.string().max(200).optional(),
    enabled: z.boolean().default(true),
    /** Higher wins when rules overlap; it is also the job priority. */
    priority: z.number().int().min(-100).max(100).default(0),
    /** Quiet period after the series' last instance before it counts as stable. */
    quietSeconds: z.number().min(0).max(86_400).optional(),
    /** `series` (default): each stable series on its own; `study`: wait for the study's required series (`study`). */
    trigger: z.enum(['series', 'study']).default('series'),
    /** Every condition must hold (for a study rule: on each series that counts for it). */
    when: whenSchema.default({}),
    study: studyTriggerSchema.optional(),
    model: z.string().min(1),
    destinations: z
      .array(
        // A bare name is shorthand for { name }. Preprocessed (not a union) so that an error names
        // its field, e.g. destinations[0].profiles[1] for an unknown profile.
        z.preprocess(
          (v) => (typeof v === 'string' ? { name: v } : v),
          z
            .object({
              name: z.string().min(1),
              seg: segOptionsSchema.default({}),
              // seg / sr / sc-overlay: what this destination receives from this rule; absent: the destination's own profiles (output-profiles.ts).
              profiles: profilesSchema.optional(),
            })
            .strict(),
        ),
      )
      .default([]),
    /** `immediate`: deliver as soon as made; `after-review`: once a reader accepted it. */
    review: z.enum(['immediate', 'after-review']).default('immediate'),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Cross-field checks, each naming the field an admin must change.
    if (r.trigger === 'study' && !r.study) ctx.addIssue({ code: 'custom', path: ['study'], message: 'required with trigger: study ({ requiredSeries, timeoutSeconds })' });
    if (r.trigger !== 'study' && r.study) ctx.addIssue({ code: 'custom', path: ['study'], message: 'allowed only with trigger: study' });
    if (!r.study) return;
    const names = r.study.requiredSeries.map((x) => x.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['study', 'requiredSeries', i, 'name'], message: `duplicate required series "${n}"` });
    });
    if (r.study.input !== undefined && !names.includes(r.study.input)) ctx.addIssue({ code: 'custom', path: ['study', 'input'], message: `"${r.study.input}" is not a required series (${names.join(', ')})` });
  });
export type Rule = z.output<typeof ruleSchema>;
export type StudyRule = Rule & { trigger: 'study'; study: StudyTrigger };
export const isStudyRule = (r: Rule): r is StudyRule => r.trigger === 'study' && r.study !== undefined;
/** The required series a study rule runs on. */
export const inputOf = (r: StudyRule): string => r.study.input ?? r.study.requiredSeries[0]!.name;
export type RuleInput = z.input<typeof ruleSchema>;

export const ruleSetSchema = z.array(ruleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
  });
});

/** The attribute values of one series that rules are evaluated against. */
export type SeriesAttributes = Partial<Record<RoutingAttribute, string | number | (string | number)[] | null>>;
