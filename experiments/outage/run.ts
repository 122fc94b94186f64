/**
 * A real destination outage, outside the test suite (issue 17 item 3): Orthanc (the PACS) is
 * stopped, series are routed and segmented, their SEG deliveries fail and are retried with the
 * node's *default* schedule (delivery.retry), Orthanc stays down for --minutes (default 60), comes
 * back, and the script waits — no manual action — until every delivery is done, then checks that
 * Orthanc holds exactly one SEG per series. Prints and writes a JSON result (docs/routing.md).
 *
 *   node dist/experiments/outage/run.js --minutes 60 --series 3 [--out result.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DeliveryView } from '../../src/export/deliveries.js';
import type { JobView } from '../../src/jobs/job-list.js';
import { startOrthanc } from '../../test/helpers/orthanc.js';
import { api, legSeries, MODEL_ID, segInstances, startRoutingNode } from '../../test/helpers/routing-fixture.js';
import { stowParts } from '../../test/helpers/stow-client.js';
import { waitFor } from '../../test/helpers/wait.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' }, series: { type: 'string', default: '3' }, out: { type: 'string' } } });
const minutes = Number(values.minutes);
const n = Number(values.series);
const log = (msg: string, extra: object = {}) => process.stdout.write(`${new Date().toISOString()} ${msg} ${JSON.stringify(extra)}\n`);

const pacs = await startOrthanc();
// `delivery: {}` replaces the fixture's seconds schedule: the node runs with the shipped defaults.
const node = await startRoutingNode({
  destinations: [{ name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 10 }],
  rules: [{ id: 'legs', quietSeconds: 1, when: { Modality: 'MR' }, model: MODEL_ID, destinations: ['pacs'] }],
  config: { delivery: {} },
});
try {
  pacs.kill();
  const outageStart = Date.now();
  log('PACS down', { minutes, series: n });
  const studies: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = await legSeries({ description: `T1 outage ${i}`, patientId: `OUTAGE-${i}` });
    studies.push(s.series.studyInstanceUID);
    if ((await stowParts(node.url, s.series.files)).status !== 200) throw new Error('STOW failed');
  }
  await waitFor(async () => (await api<DeliveryView[]>(node.url, '/api/v1/deliveries')).filter((d) => d.status === 'retrying').length === n, 120_000, 'every delivery failing');
  const firstFailure = Date.now();
  log('all deliveries retrying');
  // The outage itself: a plain wait is the point here (this is not a test).
  while (Date.now() < outageStart + minutes * 60_000) {
    await new Promise((r) => setTimeout(r, 60_000));
    const d = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    log('during outage', { statuses: d.map((x) => x.status), attempts: d.map((x) => x.attempts) });
  }
  await pacs.restart();
  const back = Date.now();
  log('PACS back');
  const done = await waitFor(async () => {
    const d = await api<DeliveryView[]>(node.url, '/api/v1/deliveries');
    return d.length === n && d.every((x) => x.status === 'delivered' || x.status === 'dead-letter') ? d : undefined;
  }, 4 * 3600_000, 'every delivery finished', 5_000);
  const deliveredAt = Math.max(...done.map((d) => Date.parse(d.deliveredAt ?? '') || 0));
  const segs = await Promise.all(studies.map((s) => segInstances(`${pacs.url}/dicom-web`, s)));
  const jobs = await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery');
  const result = {
    outageMinutes: minutes,
    series: n,
    statuses: done.map((d) => d.status),
    attempts: done.map((d) => d.attempts),
    retryCounts: jobs.map((j) => j.retryCount),
    segsPerStudyInOrthanc: segs.map((s) => s.length),
    minutesFromFirstFailureToPacsBack: +((back - firstFailure) / 60_000).toFixed(1),
    minutesFromPacsBackToLastDelivery: +((deliveredAt - back) / 60_000).toFixed(1),
    minutesFromFirstFailureToLastDelivery: +((deliveredAt - firstFailure) / 60_000).toFixed(1),
    ok: done.every((d) => d.status === 'delivered') && segs.every((s) => s.length === 1),
    finishedAt: new Date().toISOString(),
  };
  log('result', result);
  if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2));
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await node.stop();
  node.cleanup();
  await pacs.stop();
}
