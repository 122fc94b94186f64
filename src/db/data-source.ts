import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { DataSource, type EntityManager } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities/index.js';
import { pgliteModule, type PGliteModule } from './pglite-pool.js';

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent an embedded PGlite database lives in `embeddedDir`. */
  url?: string;
  embeddedDir?: string;
  poolSize?: number;
  /** Apply pending migrations on open (the default; `dafne-node migrate` does only this). */
  migrate?: boolean;
}

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly dataSource: DataSource;
  /** Runs `fn` in one transaction; on the embedded database it holds the single connection. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** Pending migrations applied by this open (names), for the start-up log. */
  readonly migrated: string[];
  close(): Promise<void>;
}

/**
 * PGlite's own start parameters plus a small shared_buffers: the default 128 MB would sit in the
 * WebAssembly heap for good, and the node's index workload (short batched transactions) does not
 * need it (measured: ≈ 290 → 180 MB RSS after open). A new database is created in a child
 * process whose memory all goes away with it.
 */
const PGLITE_START_PARAMS = [...(PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams, '-c', 'shared_buffers=16MB'];

async function openPGlite(dir: string): Promise<PGlite> {
  // 'memory://' keeps a throwaway database for tests; anything else is a directory on disk.
  if (dir.startsWith('memory://')) return PGlite.create({ startParams: PGLITE_START_PARAMS });
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  mkdirSync(dir, { recursive: true });
  lockDirectory(dir);
  if (fresh) await initdbInProcess(dir);
  return PGlite.create(dir, { startParams: PGLITE_START_PARAMS });
}

/** initdb in a child process (pglite-initdb-process.ts says why not in this one, nor in a thread). */
function initdbInProcess(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./pglite-initdb-process.js', import.meta.url)), dir, JSON.stringify(PGLITE_START_PARAMS)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`creating the embedded database in ${dir} failed (initdb process ${signal ?? `exit ${code}`}): ${stderr.trim()}`))));
  });
}

export class DatabaseInUseError extends Error {}

/**
 * An embedded database belongs to one process: PGlite has no locking of its own, and two
 * processes writing one data directory corrupt it. A lock file holds the owner's pid; a lock
 * whose process is gone (a crash) is taken over.
 */
function lockDirectory(dir: string): void {
  const file = path.join(dir, 'dafne-node.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      process.once('exit', () => rmSync(file, { force: true }));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DatabaseInUseError(`the embedded database in ${dir} is in use by process ${owner}; stop that process first (or use DATABASE_URL for a shared PostgreSQL)`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new DatabaseInUseError(`cannot lock the embedded database in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens the database of DESIGN §3: `DATABASE_URL` when set, otherwise embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let dataSource: DataSource;
  let kind: Database['kind'];
  let pglite: PGliteModule | undefined;
  if (options.url) {
    kind = 'postgres';
    dataSource = new DataSource({
      type: 'postgres',
      url: options.url,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      poolSize: options.poolSize ?? 10,
      applicationName: 'dafne-node',
      // The index runs short OLTP queries; PostgreSQL's JIT misjudges them on fresh statistics
      // and adds ≈ 600 ms to a 40 ms QIDO query (measured).
      extra: { options: '-c jit=off' },
      installExtensions: false,
      uuidExtension: 'pgcrypto',
    });
  } else {
    kind = 'pglite';
    const dir = options.embeddedDir ?? path.resolve('var/db');
    const db = await openPGlite(dir);
    pglite = pgliteModule(db);
    dataSource = new DataSource({
      type: 'postgres',
      driver: pglite,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      installExtensions: false,
      uuidExtension: 'pgcrypto',
    });
  }
  await dataSource.initialize();
  let migrated: string[] = [];
  if (options.migrate !== false) {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    migrated = applied.map((m) => m.name);
  }
  return {
    kind,
    dataSource,
    migrated,
    transaction: (fn) => dataSource.transaction(fn),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (kind === 'pglite' && options.embeddedDir && !options.embeddedDir.startsWith('memory://')) {
        rmSync(path.join(options.embeddedDir, 'dafne-node.lock'), { force: true });
      }
    },
  };
}
