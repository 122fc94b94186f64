import { z } from 'zod';

/**
 * The model card (`model.json`, DESIGN §5): everything the node needs to run, label, federate and
 * trace a model, declaratively. Model files never carry executable code (unlike Dafne's pickles).
 */
const code = z.object({ value: z.string().min(1), scheme: z.string().min(1), meaning: z.string().min(1) }).strict();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

export const labelSchema = z
  .object({
    /** Value in the arg-max output (channel index) and in label volumes; 0 is background. */
    value: z.number().int().min(1).max(255),
    name: z.string().min(1).max(64),
    category: code,
    type: code,
    color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]),
    /** For bilateral structures; with `laterality.split` the node emits `<name>_L` / `<name>_R`. */
    laterality: z.enum(['left', 'right', 'bilateral', 'unpaired']).optional(),
  })
  .strict();

export const normalizationSchema = z.discriminatedUnion('method', [
  /** (x − mean) / std over the slice's foreground (x > threshold) or all voxels. */
  z.object({ method: z.literal('zscore'), scope: z.enum(['slice', 'volume']).default('volume') }).strict(),
  /** Linear map of the [low, high] percentiles to [0, 1], clipped. */
  z.object({ method: z.literal('percentile'), low: z.number().min(0).max(100), high: z.number().min(0).max(100), scope: z.enum(['slice', 'volume']).default('volume') }).strict(),
  /** Fixed window: (x − offset) / scale. */
  z.object({ method: z.literal('fixed'), offset: z.number(), scale: z.number().positive() }).strict(),
]);

export const modelCardSchema = z
  .object({
    schema: z.literal('dafne-model-card/1'),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    name: z.string().min(1),
    description: z.string().optional(),
    generation: z.number().int().min(0),
    /** SHA-256 of the parent generation's model.onnx; null for a root model. */
    parentHash: sha256.nullable(),
    input: z
      .object({
        /** 2D slices in `plane`: the series' own slices, or a reformat of it (plane.ts). */
        kind: z.literal('2d-slices'),
        /**
         * The patient plane the network was trained in (LPS, PS3.3 C.7.6.2.1.1; display axes in
         * plane.ts). A series acquired in any other orientation is reformatted into it. 'any': the
         * network reads slices in whichever plane they were acquired (trained on all planes, or a
         * per-voxel model); nothing is reformatted.
         */
        plane: z.enum(['axial', 'coronal', 'sagittal', 'any']).default('axial'),
        /**
         * Coarsest source sampling (mm) along a direction inside `plane` that the reformat accepts:
         * a coronal series of 6 mm slices read by an axial model has 6 mm steps inside every axial
         * slice. Coarser series end as "skipped" instead of a SEG drawn on interpolated stripes.
         * Never limits a series acquired in the model's own plane.
         */
        maxThroughPlaneSpacing: z.number().positive().max(50).default(3),
        /** [rows, columns] of the network input after resampling and crop / pad. */
        size: z.tuple([z.number().int().min(8).max(2048), z.number().int().min(8).max(2048)]),
        /** In-plane pixel spacing [row, column] in mm that the network was trained at. */
        pixelSpacing: z.tuple([z.number().positive(), z.number().positive()]),
        normalization: normalizationSchema,
        /** ONNX graph input / output names (default: the graph's first input / output). */
        inputName: z.string().optional(),
        outputName: z.string().optional(),
        /** Output holds per-class logits (arg-max taken) with labels.length + 1 channels. */
        output: z.enum(['logits', 'probabilities']).default('logits'),
        batchSize: z.number().int().min(1).max(256).default(8),
      })
      .strict(),
    labels: z.array(labelSchema).min(1).max(255),
    postprocessing: z
      .object({
        /** Keep the largest 3D connected component of each label (26-connectivity). */
        largestComponent: z.boolean().default(false),
        /** Fill holes enclosed in each label, slice by slice. */
        fillHoles: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Dafne's "split laterality": one leg per half of the field; labels get _L / _R. */
    laterality: z.object({ split: z.boolean() }).strict().prefault({ split: false }),
    training: z
      .object({
        origin: z.enum(['built-in', 'local-fine-tune', 'central-merge', 'imported']),
        software: z.string().optional(),
        date: z.string().optional(),
        dataset: z.string().optional(),
        slices: z.number().int().min(0).optional(),
        series: z.number().int().min(0).optional(),
        notes: z.string().optional(),
      })
      .strict()
      .prefault({ origin: 'imported' }),
    /**
     * The model's own reference data (issue 15): a sample of its training distribution that the
     * learning loop rehearses (against forgetting) and a disjoint check set the gate scores, so a
     * site's corrections can never silently cost the model what it could do when installed. Today
     * only the product's own seeded generator can be named (the demo model's training data); a model
     * without it is protected by the site's own earlier data alone (docs/learning.md).
     */
    reference: z
      .object({
        generator: z.literal('leg-phantom'),
        contrasts: z.array(z.enum(['T1', 'T2', 'PD'])).min(1),
        /** Phantom seeds [first, count] rehearsed with the corrections; never the check seeds. */
        rehearsal: z.tuple([z.number().int(), z.number().int().min(1).max(200)]),
        /** Phantom seeds [first, count] of the gate's reference check (never trained on). */
        check: z.tuple([z.number().int(), z.number().int().min(1).max(50)]),
      })
      .strict()
      .refine((r) => r.rehearsal[0] + r.rehearsal[1] <= r.check[0] || r.check[0] + r.check[1] <= r.rehearsal[0], { message: 'rehearsal and check seeds must not overlap' })
      .optional(),
    /** Gate scores of this generation (learning / federation fill these in). */
    validation: z.record(z.string(), z.number()).optional(),
  })
  .strict()
  .superRefine((card, ctx) => {
    const values = card.labels.map((l) => l.value);
    if (new Set(values).size !== values.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'label values must be unique' });
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== i + 1)) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'label values must be 1..n without gaps (they are output channels 1..n)' });
    const names = card.labels.map((l) => l.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'label names must be unique' });
  });

export type ModelCard = z.infer<typeof modelCardSchema>;
export type ModelLabel = z.infer<typeof labelSchema>;

export class ModelCardError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
    this.name = 'ModelCardError';
  }
}

/** Validates a parsed model.json; the error names the bad field (`labels.2.color: ...`). */
export function parseModelCard(input: unknown): ModelCard {
  const r = modelCardSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    throw new ModelCardError(`model.json: ${field}: ${issue.message}`, field);
  }
  return r.data;
}
