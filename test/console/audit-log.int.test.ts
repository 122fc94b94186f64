import test from 'ava';
import { AuditLog } from '../../src/audit/audit-log.js';
import { openDatabase } from '../../src/db/data-source.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';

/** The node-wide audit trail on both databases: append, filter, page, and a transaction's rollback. */
forEachDatabase((kind) => {
  test(`${kind}: audit entries are listed newest first with who, what, when, and filter by action, actor, target`, async (t) => {
    const tdb = await createTestDatabase(kind);
    const db = await openDatabase({ url: tdb.url, embeddedDir: tdb.embeddedDir });
    try {
      const audit = new AuditLog(db);
      const before = Date.now();
      await audit.record({ actor: 'alice', action: 'rule.create', target: 'rule:ct-legs', detail: { version: 2 } });
      await audit.record({ actor: 'bob', action: 'destination.put', target: 'destination:pacs' });
      await audit.record({ actor: 'alice', action: 'rule.update', target: 'rule:ct-legs', detail: { version: 3 } });
      const all = await audit.list();
      t.deepEqual(all.map((e) => e.action), ['rule.update', 'destination.put', 'rule.create']);
      t.is(all[0]!.actor, 'alice');
      t.deepEqual(all[0]!.detail, { version: 3 });
      t.deepEqual(all[1]!.detail, {});
      t.true(Date.parse(all[2]!.at) >= before - 5000, 'the time is the database time of the insert');
      t.deepEqual((await audit.list({ action: 'rule.' })).map((e) => e.detail), [{ version: 3 }, { version: 2 }]);
      t.deepEqual((await audit.list({ action: 'rule' })).length, 0, 'an action without the trailing dot is exact');
      t.deepEqual((await audit.list({ actor: 'bob' })).map((e) => e.target), ['destination:pacs']);
      t.deepEqual((await audit.list({ target: 'rule:ct-legs', limit: 1 })).map((e) => e.action), ['rule.update']);
      t.deepEqual((await audit.list({ before: all[1]!.id })).map((e) => e.action), ['rule.create']);
      t.is((await audit.list({ since: new Date(Date.now() + 3_600_000).toISOString() })).length, 0);
      // An entry written inside a transaction that rolls back is gone with the change it described.
      await t.throwsAsync(
        db.transaction(async (m) => {
          await audit.record({ actor: 'carol', action: 'job.retry', target: 'job:1' }, m);
          throw new Error('the change failed');
        }),
        { message: 'the change failed' },
      );
      t.is((await audit.list({ actor: 'carol' })).length, 0);
    } finally {
      await db.close();
      await tdb.drop();
    }
  });
});
