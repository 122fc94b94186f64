import test from 'ava';
import type { DeliveryView } from '../../src/export/deliveries.js';
import type { RetryDeadLettersResult } from '../../src/export/retry-dead-letters.js';
import type { JobView } from '../../src/jobs/job-list.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries, MODEL_ID, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

const serial = testNeeding('orthanc').serial;

/**
 * Destination outages (issue 17 item 3), with a real Orthanc as the PACS, stopped and started
 * again, and the real retry path (delivery jobs, the queue's own delays) on a schedule in seconds
 * (1 s doubling, capped at 4 s): what the default schedule does in minutes and hours
 * (retry-schedule.test.ts computes that; experiments/outage/run.ts ran it for 60 min).
 */
let pacs: OrthancHarness;
const nodes: NodeProcess[] = [];
const rule = (dest: string) => [{ id: 'legs', quietSeconds: 0.5, when: { Modality: 'MR' }, model: MODEL_ID, destinations: [dest] }];

test.before(async () => {
  pacs = await startOrthanc();
});
test.after.always(async () => {
  for (const n of nodes) {
    await n.stop();
    n.cleanup();
  }
  await pacs?.stop();
});

async function sendSeries(node: NodeProcess, tag: string, count: number): Promise<string[]> {
  const studies: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = await legSeries({ description: `T1 ${tag} ${i}`, patientId: `${tag}-${i}` });
    studies.push(s.series.studyInstanceUID);
    if ((await stowParts(node.url, s.series.files)).status !== 200) throw new Error('STOW failed');
  }
  return studies;
}

const segCounts = (studies: string[]) => Promise.all(studies.map(async (s) => (await segInstances(`${pacs.url}/dicom-web`, s)).length));

serial('outage much longer than the first delays: retried on the capped schedule, all delivered once when the PACS is back, no manual step', async (t) => {
  t.timeout(240_000);
  const node = await startRoutingNode({ destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 3 }], rules: rule('pacs') });
  nodes.push(node);
  pacs.kill();
  const studies = await sendSeries(node, 'OUTAGE', 3);
  // Down until every delivery failed 6 times (1 + 2 + 4 + 4 + 4 s ≈ 15 s of retries): with the
  // old schedule's limits scaled the same way this is where dead letters began.
  let longestWait = 0;
  await waitFor(async () => {
    for (const j of await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery&state=retry')) longestWait = Math.max(longestWait, (Date.parse(j.startAfter!) - Date.now()) / 1000);
    const d = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    return d.length === 3 && d.every((x) => x.status === 'retrying' && x.attempts >= 6);
  }, 120_000, 'six failed attempts per delivery', 250);
  t.true(longestWait <= 4 * 1.1 + 1, `a retry waited at most the cap (4 s + jitter), saw ${longestWait.toFixed(1)} s`);
  await pacs.restart();
  const back = Date.now();
  const done = await waitFor(async () => {
    const d = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    return d.every((x) => x.status === 'delivered') ? d : undefined;
  }, 60_000, 'every delivery delivered after the PACS is back');
  t.log(`delivered ${((Date.now() - back) / 1000).toFixed(1)} s after the PACS was back; attempts ${done.map((d) => d.attempts).join(', ')}`);
  t.deepEqual(await segCounts(studies), [1, 1, 1], 'one SEG per series in Orthanc');
  const jobs = await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery');
  t.true(jobs.every((j) => j.state === 'completed' && j.retryCount >= 6), JSON.stringify(jobs.map((j) => [j.state, j.retryCount])));
  t.true(jobs.every((j) => j.retryLimit > 100), 'the delivery queue gives up after hours (giveUpAfterHours 1 here), not after 8 retries');
});

serial('dead letters after giving up; "retry all dead letters" of the destination delivers each once, concurrent calls requeue once', async (t) => {
  t.timeout(240_000);
  // Gives up after ≈ 7 s (4 retries): the outage outlasts the schedule.
  const node = await startRoutingNode({
    destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 3 }],
    rules: rule('pacs'),
    config: { delivery: { retry: { initialSeconds: 1, maxSeconds: 4, giveUpAfterHours: 0.002 } } },
  });
  nodes.push(node);
  pacs.kill();
  const studies = await sendSeries(node, 'DEAD', 2);
  const dead = await waitFor(async () => {
    const d = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    return d.length === 2 && d.every((x) => x.status === 'dead-letter') ? d : undefined;
  }, 120_000, 'both deliveries dead letters');
  t.true(dead.every((d) => d.attempts === 5), `1 attempt + 4 retries: ${dead.map((d) => d.attempts).join(', ')}`);
  await pacs.restart();
  t.deepEqual(await segCounts(studies), [0, 0], 'nothing delivered by itself once given up');

  await t.throwsAsync(api(node.url, '/api/v1/destinations/no-such/retry-dead-letters', { method: 'POST' }), { message: /404/ });
  const [a, b] = await Promise.all([0, 1].map(() => api<RetryDeadLettersResult>(node.url, '/api/v1/destinations/pacs/retry-dead-letters', { method: 'POST' })));
  t.is(a!.requeued + b!.requeued, 2, `two concurrent calls requeue each delivery once (${a!.requeued} + ${b!.requeued})`);
  t.deepEqual([...a!.deliveryIds, ...b!.deliveryIds].sort(), dead.map((d) => d.id).sort());
  await waitFor(async () => (await api<DeliveryView[]>(node.url, '/api/v1/deliveries')).every((x) => x.status === 'delivered'), 60_000, 'delivered after the bulk retry');
  t.deepEqual(await segCounts(studies), [1, 1], 'one SEG per series in Orthanc');
  const jobs = await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery');
  t.true(jobs.every((j) => j.state === 'completed' && j.retryCount === 0), 'a fresh schedule: delivered on the first attempt after the requeue');

  // Again: nothing is dead any more, nothing is sent again.
  t.is((await api<RetryDeadLettersResult>(node.url, '/api/v1/destinations/pacs/retry-dead-letters', { method: 'POST' })).requeued, 0);
  t.deepEqual(await segCounts(studies), [1, 1]);
  const audit = await api<{ entries: { action: string; target: string; detail: { requeued: number } }[] }>(node.url, '/api/v1/audit?action=destination.retry-dead-letters');
  t.deepEqual(audit.entries.map((e) => [e.target, e.detail.requeued]).sort(), [['destination:pacs', 0], ['destination:pacs', a!.requeued], ['destination:pacs', b!.requeued]].sort());
});
