/**
 * Test harness: the databases that database-facing tests run against, each in a throwaway copy.
 *
 * - `pglite`: the embedded PostgreSQL (no URL; `embeddedDir: 'memory://'` for openDatabase, or a temp
 *   data dir for buildNode, which keeps PGlite in `<dataDir>/db`);
 * - `postgres`: a real PostgreSQL server (DAFNE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres);
 *   each test database is a fresh `dafne_test_<random>` created there and dropped afterwards.
 *
 * DAFNE_TEST_DATABASES (comma-separated kinds) names the set. Unset, it is both kinds when the server
 * answers; when none does (npm test could not install or start one), the PostgreSQL variants are
 * declared skipped with a notice (test/helpers/requirements.ts), or failing with DAFNE_TEST_REQUIRE=all.
 * No ava here (forEachDatabase is in for-each-database.ts): benchmarks use this file outside ava.
 * A kind named explicitly is always tested, so a missing server then fails with the reason.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { missingRequirements, requireAll } from './requirements.js';

export type DatabaseKind = 'pglite' | 'postgres';

export const ALL_DATABASE_KINDS: readonly DatabaseKind[] = ['pglite', 'postgres'];

/** The maintenance database on the test server; fresh databases are created through it. */
export const POSTGRES_ADMIN_URL = process.env.DAFNE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  /** PostgreSQL URL of the fresh database; undefined for PGlite. */
  url: string | undefined;
  /** For openDatabase with PGlite: an in-memory database. */
  embeddedDir?: string;
  /** Drops the database (PostgreSQL); safe to call twice. Close every connection to it first or not: FORCE. */
  drop(): Promise<void>;
}

/** The kinds to test: DAFNE_TEST_DATABASES, else both, or only PGlite when no server answers (see above). */
export function testDatabases(): DatabaseKind[] {
  const wanted = process.env.DAFNE_TEST_DATABASES;
  if (!wanted) return postgresMissing().length && !requireAll() ? ['pglite'] : [...ALL_DATABASE_KINDS];
  const kinds = wanted.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) if (!ALL_DATABASE_KINDS.includes(k as DatabaseKind)) throw new Error(`DAFNE_TEST_DATABASES: unknown kind "${k}" (pglite, postgres)`);
  return kinds as DatabaseKind[];
}

export function postgresMissing(): string[] {
  return missingRequirements('postgres');
}

/** A fresh, empty database of `kind`. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') return { kind, url: undefined, embeddedDir: 'memory://', drop: async () => undefined };
  // Identifiers cannot be bind parameters; the name is ours (hex only), never outside input.
  const name = `dafne_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach the test PostgreSQL at ${POSTGRES_ADMIN_URL} (set DAFNE_TEST_PG_URL, or DAFNE_TEST_DATABASES=pglite to skip it): ${(err as Error).message}`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
