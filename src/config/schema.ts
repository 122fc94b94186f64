import { z } from 'zod';

/** Roles of DESIGN §3: pacs (store/read DICOM), reader (viewer, reviews), admin, node (site → central). */
export const ROLES = ['pacs', 'reader', 'admin', 'node'] as const;
export type Role = (typeof ROLES)[number];

const bytes = z.number().int().nonnegative();
/** An Application Entity title (PS3.5 Table 6.2-1, VR AE): 1-16 characters, not only spaces. */
export const aeTitle = z.string().regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, '1-16 printable characters, no backslash').refine((s) => s.trim() !== '', 'not only spaces');

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        publicUrl: z.url().optional(),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./var'),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
          .optional(),
        poolSize: z.number().int().min(1).max(200).default(10),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        minFreeBytes: bytes.default(1024 ** 3),
        minFreePercent: z.number().min(0).max(100).default(2),
        fsync: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    stow: z
      .object({
        maxRequestBytes: bytes.min(1).default(4 * 1024 ** 3),
        maxInstanceBytes: bytes.min(1).default(2 * 1024 ** 3),
        writeConcurrency: z.number().int().min(1).max(64).default(8),
        writerThreads: z.number().int().min(0).max(16).default(3),
        /** Seconds without a blob write after which the writer threads end (they start again with the next object). */
        writerIdleSeconds: z.number().min(1).max(86_400).default(60),
      })
      .strict()
      .prefault({}),
    /** DIMSE Storage / Verification SCP (docs/operations.md "DIMSE"); off unless a port is set (env DIMSE_PORT). */
    dimse: z
      .object({
        port: z.number().int().min(0).max(65535).optional(),
        /** Loopback by default, like HTTP; another address needs allowedCallingAeTitles. */
        host: z.string().min(1).default('127.0.0.1'),
        /** The node's AE title (VR AE, PS3.5 Table 6.2-1: 1-16 characters, no backslash or control characters). */
        aeTitle: aeTitle.default('DAFNE'),
        /** Calling AE titles allowed to associate; empty: any. */
        allowedCallingAeTitles: z.array(aeTitle).default([]),
      })
      .strict()
      .prefault({}),
    qido: z
      .object({
        defaultLimit: z.number().int().min(1).default(200),
        maxLimit: z.number().int().min(1).default(5000),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        tokens: z
          .array(
            z
              .object({
                name: z.string().min(1),
                sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256 of the token)'),
                roles: z.array(z.enum(ROLES)).min(1),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    /** Automatic routing (issue 4, docs/routing.md): stability, rules and destinations file. */
    routing: z
      .object({
        /** YAML with `rules:` and `destinations:`; imported when its content changes (docs/routing.md). */
        rulesFile: z.string().min(1).optional(),
        /** Quiet period after a series' last instance, unless a matching rule sets its own. */
        defaultQuietSeconds: z.number().min(0).default(60),
        /** A series with gaps waits at most this long for the missing instances. */
        maxWaitSeconds: z.number().min(0).default(600),
        /** How often the stability scheduler looks for due series (it also wakes on every STOW). */
        checkIntervalSeconds: z.number().min(0.1).default(5),
      })
      .strict()
      .prefault({}),
    /** Durable jobs (pg-boss in the node's own database). */
    jobs: z
      .object({
        concurrency: z
          .object({ inference: z.number().int().min(0).max(16).default(1), delivery: z.number().int().min(0).max(32).default(4) })
          .strict()
          .prefault({}),
        retryLimit: z.number().int().min(0).max(100).default(8),
        /** Base delay of the exponential backoff: delay × 2^n, jittered (pg-boss). */
        retryDelaySeconds: z.number().int().min(1).default(5),
        pollingIntervalSeconds: z.number().min(0.5).default(2),
        /** The longest a job may run: an active job not finished by then is retried. */
        expireInSeconds: z.number().int().min(1).default(900),
        /** A running job's worker renews its lease this often (src/jobs/heartbeat.ts). */
        heartbeatSeconds: z.number().min(0.5).max(300).default(10),
        /** A job whose lease was not renewed for this long (its worker crashed) is retried at once. */
        heartbeatTimeoutSeconds: z.number().min(1).max(3600).default(30),
      })
      .strict()
      .refine((j) => j.heartbeatTimeoutSeconds > 2 * j.heartbeatSeconds, { message: 'heartbeatTimeoutSeconds must be more than twice heartbeatSeconds (one late heartbeat must not lose the job)', path: ['heartbeatTimeoutSeconds'] })
      .prefault({}),
    /** Delivery of results to destinations (issue 17 item 3; src/export/retry-schedule.ts). */
    delivery: z
      .object({
        retry: z
          .object({
            /** First retry after this long; each next delay doubles ... */
            initialSeconds: z.number().int().min(1).default(15),
            /** ... up to this cap (a few hours: a PACS down for the night is retried every 2 h). */
            maxSeconds: z.number().int().min(1).default(7200),
            /** Retrying stops (dead letter) after at least this long since the first failure. */
            giveUpAfterHours: z.number().min(0).max(24 * 365).default(72),
          })
          .strict()
          .refine((r) => r.maxSeconds >= r.initialSeconds, { message: 'maxSeconds must be at least initialSeconds', path: ['maxSeconds'] })
          .prefault({}),
      })
      .strict()
      .prefault({}),
    inference: z
      .object({
        /** The model `dafne-node segment` uses without --model (a registry id; the shipped demo by default). */
        defaultModel: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a model id: lowercase letters, digits and dashes').default('leg-demo'),
        /** Seconds without a series before the onnxruntime sessions and the back-projection thread are released (idle memory). */
        idleReleaseSeconds: z.number().min(0).max(86_400).default(60),
      })
      .strict()
      .prefault({}),
    /** Continuous learning (issue 6, docs/learning.md "Learning runs"). */
    learning: z
      .object({
        /** Run the nightly job in `serve` (false: only `dafne-node train` / the API run it). */
        enabled: z.boolean().default(true),
        /** Nightly start, "HH:MM" 24 h, in `timezone` (IANA; default the process's). */
        time: z.string().regex(/^([01]?\d|2[0-3]):([0-5]\d)$/, 'must be HH:MM (24 h)').default('02:00'),
        timezone: z
          .string()
          .min(1)
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat('en', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'not an IANA timezone (e.g. Europe/Rome)')
          .optional(),
        /** Fewest new corrected (or accepted) training slices worth a run; fewer: skipped with the reason. */
        minSlices: z.number().int().min(1).default(5),
        /** What happens to a candidate the gate accepted: auto activates it, shadow runs it beside the active model, manual waits for promote. */
        policy: z.enum(['auto', 'shadow', 'manual']).default('shadow'),
        /** Per-model policy overrides: { <model id>: auto | shadow | manual }. */
        models: z.record(z.string(), z.enum(['auto', 'shadow', 'manual'])).default({}),
        /** Share of series held out for validation (by Series UID hash); never change it once data exists. */
        heldOutFraction: z.number().min(0.01).max(0.9).default(0.2),
        /** Held-out series frozen as the local benchmark set (the first ones reviewed). */
        benchmarkSeries: z.number().int().min(0).max(1000).default(5),
        /** Rejected runs a corrected series is trained in again before it is given up (a correction the gate keeps refusing). */
        maxAttempts: z.number().int().min(1).max(100).default(3),
        /** Gate: largest allowed mean-Dice loss on held-out, benchmark and the model's reference set; required gain on the new corrections. */
        epsilon: z.number().min(0).max(1).default(0.005),
        minImprovement: z.number().min(0).max(1).default(0),
        /** Fine-tuning recipe overrides (src/learning/recipe.ts; default Dafne's Adam 1e-3, 5 epochs, batch 5, plus rehearsal 2). */
        recipe: z.record(z.string(), z.unknown()).default({}),
      })
      .strict()
      .prefault({}),
    /** Federation client (issue 7, docs/federation.md "Node client"). */
    federation: z
      .object({
        centralUrl: z.url().optional(),
        /** This site's name at the central server (the operator registered it with `central site add`). */
        siteId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore').optional(),
        /** Bearer token (role `node`) the central operator printed for this site. */
        token: z.string().min(1).optional(),
        /** The central server's ed25519 public key: generations are installed only if signed by it. */
        centralPublicKeyPem: z.string().min(1).optional(),
        centralPublicKeyFile: z.string().min(1).optional(),
        /** node-cron expression for fetching new generations (default: every 30 minutes). */
        pullSchedule: z.string().min(1).default('*/30 * * * *'),
        timezone: z.string().min(1).optional(),
        /** Upload deltas of locally accepted candidates (false: pull only). */
        upload: z.boolean().default(true),
        /** Delta encoding (docs/federation.md "Deltas"). */
        encoding: z.enum(['float32-zlib', 'float16-zlib', 'sparse-float16-zlib']).default('float16-zlib'),
        /** Upload retries: delay base × 2^attempts (jittered), capped at maxSeconds; never given up on while retryable. */
        retryBaseSeconds: z.number().min(0.05).default(30),
        retryMaxSeconds: z.number().min(0.05).default(3600),
        /** How often the upload queue is drained and outcomes are asked for. */
        uploadIntervalSeconds: z.number().min(0.05).default(60),
        /** A central generation is installed only if it loses at most this much mean Dice on the local sets. */
        epsilon: z.number().min(0).max(1).default(0.005),
        /**
         * Outgoing deltas leave only after a site admin approved each one (API, console, CLI
         * `dafne-node federation approve`), unless this is true (docs/federation.md "Governance").
         */
        autoApprove: z.boolean().default(false),
        /** Score the central server's merge proposals on the local held-out / benchmark sets and report the numbers. */
        validateProposals: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** The central federation server role, `dafne-node central` (issue 7, docs/federation.md "Merge", "Central gate"). */
    central: z
      .object({
        /** A merge round starts when this many deltas of a model are queued... */
        minUploads: z.number().int().min(1).default(3),
        /** ...or when the oldest queued delta has waited this long (then with whatever is queued). */
        maxWaitSeconds: z.number().min(0).default(600),
        /** How often the queue is looked at. */
        checkIntervalSeconds: z.number().min(0.05).default(5),
        /** Largest delta file accepted (413 above). */
        maxDeltaBytes: z.number().int().min(1024).default(256 * 1024 ** 2),
        aggregation: z.enum(['mean', 'trimmed-mean', 'median']).default('trimmed-mean'),
        /** trimmed-mean: fraction of the window dropped at each end of every coordinate. */
        trimFraction: z.number().min(0).max(0.49).default(0.2),
        /** A delta's norm above this multiple of the window's median norm is scaled down to it. */
        clipMultiplier: z.number().min(1).default(2),
        maxNorm: z.number().positive().optional(),
        /** Central gate: the merged candidate may lose at most ε mean Dice against the current root. */
        epsilon: z.number().min(0).max(1).default(0.005),
        /** Screening: a delta that, applied alone to the root, loses more than this is rejected before the merge. */
        screenEpsilon: z.number().min(0).max(1).default(0.02),
        /**
         * Server steps along the merged update, tried in order until one passes the gate (same ε, every
         * contrast): 1 = the full update; [1, 0.5] retries at half the step before rejecting the window.
         */
        serverSteps: z.array(z.number().gt(0).max(1)).min(1).default([1, 0.5, 0.25]),
        /**
         * Site validation (issue 20, docs/federation.md "Site validation"): a merged window is not
         * published on the central set alone but PROPOSED at every server step; each site scores the
         * proposal on its own held-out (and benchmark) data and reports the numbers; the first step no
         * reporting site loses more than ε on is published. Off: the central gate decides alone (for
         * clients that cannot report, e.g. Dafne's).
         */
        siteValidation: z
          .object({
            enabled: z.boolean().default(true),
            /** Longest wait for the reports; then the proposal is decided on those received (none: rejected). */
            waitSeconds: z.number().min(0).default(3600),
          })
          .strict()
          .prefault({}),
        /** The central validation set: phantoms with frozen seeds (recorded in every generation's validation). */
        validation: z
          .object({
            seeds: z.array(z.number().int()).min(1).default([9001, 9002, 9003, 9004]),
            /** Named contrasts or tissue intensities ({ air, skin, fat, fascia, muscle, cortex, marrow }) as in src/phantom/leg-phantom.ts. */
            contrasts: z
              .array(
                z.union([
                  z.enum(['T1', 'T2', 'PD']),
                  z
                    .object({ air: z.number(), skin: z.number(), fat: z.number(), fascia: z.number(), muscle: z.number(), cortex: z.number(), marrow: z.number(), muscles: z.record(z.string(), z.number()).optional() })
                    .strict(),
                ]),
              )
              .min(1)
              .default(['T1', 'T2', 'PD']),
            slices: z.number().int().min(1).max(64).default(6),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type TokenConfig = Config['auth']['tokens'][number];
