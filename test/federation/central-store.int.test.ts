import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../src/db/data-source.js';
import { CentralStore, SiteExistsError } from '../../src/federation/central/central-store.js';
import type { DeltaManifest } from '../../src/federation/delta.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';

/** The central tables on both databases the product supports (PGlite embedded, PostgreSQL). */
const manifest = (site: string, payload: string): DeltaManifest => ({
  format: 'dafne-delta/1', modelId: 'm', baseSha256: 'a'.repeat(64), siteId: site, trainingSlices: 12, trainingSeries: 2,
  localGate: { heldOut: 0.8, benchmark: null, corrections: 0.9 }, software: 's', encoding: 'float16-zlib', payloadSha256: payload, tensors: [],
});

forEachDatabase((kind) => {
  test(`${kind}: sites, idempotent uploads, outcomes, queue and generation facts`, async (t) => {
    const tdb = await createTestDatabase(kind);
    const db = await openDatabase({ url: tdb.url, embeddedDir: tdb.embeddedDir });
    try {
      const store = new CentralStore(db);
      await store.addSite('s1', 'PEM1', '1'.repeat(64));
      await t.throwsAsync(store.addSite('s1', 'PEM2', '2'.repeat(64)), { instanceOf: SiteExistsError });
      t.is((await store.siteByTokenHash('1'.repeat(64)))?.siteId, 's1');
      t.is(await store.siteByTokenHash('3'.repeat(64)), undefined);

      const payload = 'b'.repeat(64);
      const row = { uploadId: randomUUID(), modelId: 'm', siteId: 's1', payloadSha256: payload, baseSha256: 'a'.repeat(64), baseGeneration: 0, trainingSlices: 12, manifest: manifest('s1', payload), fileBytes: 100 };
      const first = await store.insertUpload(row);
      t.true(first.created);
      const again = await store.insertUpload({ ...row, uploadId: randomUUID() });
      t.false(again.created);
      t.is(again.upload.uploadId, first.upload.uploadId);
      t.is(again.upload.manifest.trainingSeries, 2);
      const second = await store.insertUpload({ ...row, uploadId: randomUUID(), payloadSha256: 'c'.repeat(64), manifest: manifest('s1', 'c'.repeat(64)) });

      const [q] = await store.queueSummary();
      t.like(q, { modelId: 'm', count: 2 });
      await store.setOutcome([first.upload.uploadId, second.upload.uploadId], 'merging', null);
      t.is(await store.requeueMerging(), 2);
      await store.setOutcome([first.upload.uploadId], 'accepted', 'fine', 1, { candidateDice: 0.9 });
      t.like(await store.upload(first.upload.uploadId), { status: 'accepted', reason: 'fine', generation: 1, detail: { candidateDice: 0.9 } });
      t.deepEqual((await store.uploadsWithStatus('m', 'queued')).map((u) => u.uploadId), [second.upload.uploadId]);
      t.is(await store.upload('not-a-uuid'), undefined);

      await store.recordGeneration({ modelId: 'm', generation: 1, sha256: 'd'.repeat(64), signature: 'sig', contributors: ['s1'], validation: { centralDice: 0.9 }, mergeReport: null });
      const facts = (await store.generationFacts('m')).get(1)!;
      t.deepEqual([facts.sha256, facts.contributors, facts.validation], ['d'.repeat(64), ['s1'], { centralDice: 0.9 }]);

      t.true(await store.revokeSite('s1'));
      t.truthy((await store.siteByTokenHash('1'.repeat(64)))?.revokedAt);
      t.false(await store.revokeSite('nobody'));
    } finally {
      await db.close();
      await tdb.drop();
    }
  });
});
