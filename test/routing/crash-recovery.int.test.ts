import type { DeliveryView } from '../../src/export/deliveries.js';
import type { JobView } from '../../src/jobs/job-list.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { api, legSeries, MODEL_ID, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';
import { testNeeding } from '../helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('orthanc');

/**
 * The node is killed (SIGKILL) between "series stable" and "SEG delivered", and a second series is
 * killed between "received" and "stable": after a restart both complete, and Orthanc holds exactly
 * one SEG per series (nothing lost, nothing delivered twice, no inference run twice).
 */
let node: NodeProcess;
let pacs: OrthancHarness;

test.before(async () => {
  pacs = await startOrthanc();
  node = await startRoutingNode({
    destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 5 }],
    rules: [{ id: 'legs', quietSeconds: 1, when: { Modality: 'MR', BodyPartExamined: 'LEG' }, model: MODEL_ID, destinations: ['pacs'] }],
  });
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop()]);
  node?.cleanup();
});

test('SIGKILL between stable and delivered (and between received and stable): completes after restart, once', async (t) => {
  pacs.kill(); // the SEG of series A cannot be delivered yet
  const a = await legSeries({ description: 'T1 crash A', patientId: 'CRASH-A' });
  t.is((await stowParts(node.url, a.series.files)).status, 200);
  const pending = await waitFor(async () => {
    const d = (await api<DeliveryView[]>(node.url, '/api/v1/deliveries')).find((x) => x.status === 'retrying');
    return d;
  }, 60_000, 'series A stable, SEG made, delivery failing');

  const b = await legSeries({ description: 'T1 crash B', patientId: 'CRASH-B' });
  t.is((await stowParts(node.url, b.series.files)).status, 200);
  await node.kill(); // B was received but its quiet period had not passed

  await pacs.restart();
  await node.restart();

  for (const s of [a, b]) {
    const segs = await waitFor(async () => {
      const found = await segInstances(`${pacs.url}/dicom-web`, s.series.studyInstanceUID);
      return found.length ? found : undefined;
    }, 90_000, 'SEG in Orthanc after the restart');
    t.is(segs.length, 1, 'one SEG per series in Orthanc');
  }
  // Orthanc holds the SEG a moment before the node records its acknowledgement: wait for that.
  const deliveries = await waitFor(async () => {
    const all = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    return all.length >= 2 && all.every((d) => d.status === 'delivered') ? all : undefined;
  }, 30_000, 'both deliveries recorded as delivered').catch(async () => api<DeliveryView[]>(node.url, '/api/v1/deliveries'));
  t.is(deliveries.length, 2);
  t.true(deliveries.every((d) => d.status === 'delivered'));
  t.true(deliveries.some((d) => d.id === pending.id));
  const inference = await api<JobView[]>(node.url, '/api/v1/jobs?type=inference');
  t.is(inference.length, 2, 'one inference job per series');
  t.true(inference.every((j) => j.state === 'completed'));
  const evB = await api<EvaluationView[]>(node.url, `/api/v1/evaluations?series=${b.series.seriesInstanceUID}`);
  t.is(evB.filter((e) => e.outcome === 'matched').length, 1);
  // Still exactly one SEG each a little later: the retried delivery job cannot send again.
  const segCount = async () => (await segInstances(`${pacs.url}/dicom-web`, a.series.studyInstanceUID)).length + (await segInstances(`${pacs.url}/dicom-web`, b.series.studyInstanceUID)).length;
  await waitFor(async () => (await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery')).every((j) => j.state === 'completed'), 30_000, 'all delivery jobs completed');
  t.is(await segCount(), 2);
});
