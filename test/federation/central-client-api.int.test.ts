import test from 'ava';
import { CentralApi, CentralError } from '../../src/federation/client/central-api.js';
import { verify } from '../../src/federation/signing.js';
import { startCentral, type Harness } from './central-harness.js';
import { along, degrade, demoOnnx } from './demo-fixtures.js';

/**
 * The two halves of the contract against each other: the node's HTTP client (src/federation/client/
 * central-api.ts) talking to the real central role. Catches any drift between what the central
 * answers and what the client parses.
 */
let h: Harness;
test.before(async () => {
  h = await startCentral();
});
test.after.always(async () => h?.close());

test("the node's CentralApi reads models, downloads a signed generation, uploads a delta and reads its outcome", async (t) => {
  const demo = demoOnnx();
  const root = degrade(demo, 0.3, 11);
  const { sha256 } = await h.addRoot(root);
  const site = await h.site('site-a');
  const api = new CentralApi({ url: h.url, token: site.token });

  const models = await api.models();
  t.deepEqual(models.map((m) => [m.id, m.latest?.generation, m.latest?.sha256]), [['leg-demo', 0, sha256]]);
  const info = await api.model('leg-demo');
  t.is(info.generations[0]!.sha256, sha256);
  const key = await api.publicKey();
  const dl = await api.download('leg-demo', 0);
  t.is(dl.sha256, sha256);
  t.is(dl.sha256Header, sha256);
  t.true(verify(dl.onnx, dl.signature!, key));
  t.like(await api.card('leg-demo', 0), { id: 'leg-demo', generation: 0 });

  const up = await api.uploadDelta('leg-demo', site.delta(root, along(root, demo, 0.5)));
  t.is(up.status, 'queued');
  await h.central.merges.tick(true);
  const outcome = await api.upload(up.uploadId);
  t.is(outcome.status, 'accepted');
  t.is(outcome.generation, 1);
  t.regex(outcome.reason!, /published as generation 1/);

  // Final refusals are not retryable; the client must not retry them forever.
  const err = await t.throwsAsync(api.uploadDelta('leg-demo', site.delta(degrade(demo, 0.3, 99), demo)), { instanceOf: CentralError });
  t.is(err.status, 409);
  t.false(err.retryable);
  const down = new CentralApi({ url: 'http://127.0.0.1:9', token: site.token, timeoutMs: 2000 });
  const unreachable = await t.throwsAsync(down.models(), { instanceOf: CentralError });
  t.true(unreachable.retryable);
});
