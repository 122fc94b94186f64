import test from 'ava';
import { openDatabase, type Database } from '../../src/db/data-source.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';

/**
 * The data-loss trap of notes/engine.md: with one embedded PGlite session, overlapping
 * transactions interleave and one's ROLLBACK discards the other's committed rows. These tests
 * overlap transactions on purpose and check every committed row survives, on both databases.
 */
async function withDb(kind: 'pglite' | 'postgres', fn: (db: Database) => Promise<void>): Promise<void> {
  const t = await createTestDatabase(kind);
  const db = await openDatabase({ url: t.url, embeddedDir: t.embeddedDir });
  try {
    await db.dataSource.query('CREATE TABLE probe (id serial PRIMARY KEY, tag text NOT NULL)');
    await fn(db);
  } finally {
    await db.close();
    await t.drop();
  }
}

const tags = async (db: Database): Promise<string[]> => ((await db.dataSource.query('SELECT tag FROM probe ORDER BY tag')) as { tag: string }[]).map((r) => r.tag);
const tick = () => new Promise((r) => setTimeout(r, 5));

forEachDatabase((kind) => {
  test(`${kind}: a rollback of one transaction does not discard an overlapping committed one`, async (t) => {
    await withDb(kind, async (db) => {
      let releaseA!: () => void;
      const aInside = new Promise<void>((r) => (releaseA = r));
      const a = db.transaction(async (m) => {
        await m.query("INSERT INTO probe (tag) VALUES ('a')");
        await aInside;
      });
      const b = db.transaction(async (m) => {
        await m.query("INSERT INTO probe (tag) VALUES ('b')");
        throw new Error('b fails');
      });
      await tick();
      releaseA();
      await a;
      await t.throwsAsync(b, { message: 'b fails' });
      t.deepEqual(await tags(db), ['a']);
    });
  });

  test(`${kind}: many overlapping transactions with random failures keep exactly the committed rows`, async (t) => {
    await withDb(kind, async (db) => {
      const expected: string[] = [];
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          db
            .transaction(async (m) => {
              await m.query('INSERT INTO probe (tag) VALUES ($1)', [`t${String(i).padStart(2, '0')}`]);
              await tick();
              await m.query('INSERT INTO probe (tag) VALUES ($1)', [`t${String(i).padStart(2, '0')}b`]);
              if (i % 3 === 0) throw new Error('planned failure');
            })
            .then(
              () => expected.push(`t${String(i).padStart(2, '0')}`, `t${String(i).padStart(2, '0')}b`),
              () => undefined,
            ),
        ),
      );
      t.deepEqual(await tags(db), expected.sort());
      t.is(expected.length, 2 * 26);
    });
  });

  test(`${kind}: a statement outside any transaction is not swallowed by a concurrent rollback`, async (t) => {
    await withDb(kind, async (db) => {
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      const failing = db.transaction(async (m) => {
        await m.query("INSERT INTO probe (tag) VALUES ('rolled-back')");
        await hold;
        throw new Error('rollback');
      });
      const plain = db.dataSource.query("INSERT INTO probe (tag) VALUES ('autocommit')");
      await tick();
      release();
      await t.throwsAsync(failing);
      await plain;
      t.deepEqual(await tags(db), ['autocommit']);
    });
  });
});
