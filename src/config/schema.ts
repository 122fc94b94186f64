import { z } from 'zod';

/** Roles of DESIGN §3: pacs (store/read DICOM), reader (viewer, reviews), admin, node (site → central). */
export const ROLES = ['pacs', 'reader', 'admin', 'node'] as const;
export type Role = (typeof ROLES)[number];

const bytes = z.number().int().nonnegative();

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
    federation: z
      .object({ centralUrl: z.url().optional() })
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
