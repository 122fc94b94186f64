import path from 'node:path';
import type { Config } from '../config/schema.js';
import { openDatabase } from '../db/data-source.js';

/** `dafne-node migrate`: apply pending migrations and exit (also done at every start). */
export async function migrate(config: Config): Promise<number> {
  const db = await openDatabase({ url: config.database.url, embeddedDir: path.join(path.resolve(config.dataDir), 'db') });
  process.stdout.write(db.migrated.length ? `applied: ${db.migrated.join(', ')}\n` : 'database schema is up to date\n');
  await db.close();
  return 0;
}
