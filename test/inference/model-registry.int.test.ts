import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { BlobStore } from '../../src/archive/blob-store.js';
import { openDatabase } from '../../src/db/data-source.js';
import { ModelRegistry, ModelRegistryError } from '../../src/inference/model-registry.js';
import { ModelPackageError } from '../../src/inference/model-package.js';
import { writeOnnx } from '../../src/inference/onnx/onnx-io.js';
import { thresholdModel } from '../../src/inference/onnx/test-models.js';
import { createTestDatabase } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';

const card = (generation: number, parentHash: string | null, labels = [1, 2]) => ({
  schema: 'dafne-model-card/1',
  id: 'leg',
  name: 'Leg',
  generation,
  parentHash,
  input: { kind: '2d-slices', size: [32, 32], pixelSpacing: [1, 1], normalization: { method: 'fixed', offset: 0, scale: 1 } },
  labels: labels.map((value) => ({ value, name: `m${value}`, category: { value: '91723000', scheme: 'SCT', meaning: 'Anatomical Structure' }, type: { value: '71616004', scheme: 'SCT', meaning: 'Muscle' }, color: [1, 2, 3] })),
  training: { origin: generation === 0 ? 'built-in' : 'local-fine-tune' },
});
// Different thresholds → different weights → a different model.onnx per generation.
const onnx = (t: number) => writeOnnx(thresholdModel({ thresholds: [t, t + 10] }));

forEachDatabase((kind) => {
  test(`${kind}: add, lineage, promote, rollback; a bad package changes nothing`, async (t) => {
    const tdb = await createTestDatabase(kind);
    const db = await openDatabase({ url: tdb.url, embeddedDir: tdb.embeddedDir });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'registry-'));
    const blobs = new BlobStore(dir, false);
    await blobs.init();
    const reg = new ModelRegistry(db, blobs);
    try {
      const g0 = await reg.add({ onnx: onnx(10), card: card(0, null) }, 'test');
      t.true(g0.active, 'the first generation becomes active');
      const g1 = await reg.add({ onnx: onnx(20), card: card(1, g0.sha256) }, 'test');
      t.false(g1.active, 'later generations wait for promote');
      t.is((await reg.active('leg')).sha256, g0.sha256);

      const before = JSON.stringify(await reg.list());
      await t.throwsAsync(reg.add({ onnx: onnx(30), card: card(2, g1.sha256, [1, 3]) }, 'test'), { instanceOf: ModelPackageError, message: /labels/ });
      await t.throwsAsync(reg.add({ onnx: onnx(30), card: card(2, 'f'.repeat(64)) }, 'test'), { instanceOf: ModelRegistryError, message: /parent generation/ });
      await t.throwsAsync(reg.add({ onnx: onnx(20), card: card(5, g0.sha256) }, 'test'), { instanceOf: ModelRegistryError, message: /already generation 1/ });
      t.is(JSON.stringify(await reg.list()), before, 'rejected packages leave the registry unchanged');

      await reg.promote('leg', 1, 'admin');
      t.is((await reg.active('leg')).card.generation, 1);
      const back = await reg.rollback('leg', 'admin', 'worse on local data');
      t.is(back.generation, 0);
      t.is((await reg.active('leg')).sha256, g0.sha256);
      const list = await reg.list();
      t.deepEqual(list.map((m) => [m.id, m.active?.generation, m.generations.map((g) => g.generation)]), [['leg', 0, [0, 1]]]);
      t.is(list[0]!.generations[1]!.parentSha256, g0.sha256);

      // In memory: at most two packages per model, the most recently used; others load again.
      const g2 = await reg.add({ onnx: onnx(40), card: card(2, g1.sha256) }, 'test');
      t.deepEqual(reg.cached.sort(), [g0.sha256, g2.sha256].sort());
      t.is((await reg.package('leg', 1)).sha256, g1.sha256, 'a forgotten generation is read from the blob store again');
      t.deepEqual(reg.cached.sort(), [g1.sha256, g2.sha256].sort());
      t.is((await reg.active('leg')).sha256, g0.sha256);
      t.deepEqual(reg.cached.sort(), [g0.sha256, g1.sha256].sort());
    } finally {
      await db.close();
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
