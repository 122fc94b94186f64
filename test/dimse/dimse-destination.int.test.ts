/**
 * DIMSE destinations (issue 16): a leg series routed to a `dimse` destination arrives in a real
 * Orthanc as one SEG by C-STORE (Orthanc records Origin DicomProtocol and the node's AE), voxel-exact;
 * the destination test endpoint does C-ECHO; a destination that rejects the association is a dead
 * letter with that reason; one that does not answer is retried.
 *
 * Orthanc 1.10 cannot bind its DICOM port to loopback: it only takes C-STORE from the node's AE
 * title at 127.0.0.1 (DicomAlwaysAllowStore false, DicomCheckModalityHost true) and only when called
 * by its own AE title (DicomCheckCalledAet).
 */
import type { DeliveryView } from '../../src/export/deliveries.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { freePort, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries, MODEL_ID, retrieveInstance, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';

const test = testNeeding('orthanc');
let node: NodeProcess;
let pacs: OrthancHarness;
let pacsDicomPort: number;
let closedPort: number;

const rule = (id: string, description: string, destinations: string[]) => ({ id, priority: 10, quietSeconds: 1, when: { Modality: 'MR', SeriesDescription: { wildcard: description } }, model: MODEL_ID, destinations, review: 'immediate' });

test.before(async () => {
  pacsDicomPort = await freePort();
  closedPort = await freePort();
  pacs = await startOrthanc({
    config: {
      DicomServerEnabled: true,
      DicomPort: pacsDicomPort,
      DicomAet: 'ORTHANC',
      DicomCheckCalledAet: true,
      DicomAlwaysAllowStore: false,
      DicomAlwaysAllowEcho: false,
      DicomCheckModalityHost: true,
      DicomModalities: { dafne: ['DAFNE', '127.0.0.1', 104] },
    },
  });
  node = await startRoutingNode({
    destinations: [
      { name: 'pacs-dimse', dimse: { host: '127.0.0.1', port: pacsDicomPort, aeTitle: 'ORTHANC' }, timeoutSeconds: 10 },
      { name: 'wrong-ae', dimse: { host: '127.0.0.1', port: pacsDicomPort, aeTitle: 'NOT_ORTHANC' }, timeoutSeconds: 10 },
      { name: 'nobody', dimse: { host: '127.0.0.1', port: closedPort, aeTitle: 'NOBODY' }, timeoutSeconds: 2 },
    ],
    rules: [rule('to-dimse', '*dimse*', ['pacs-dimse']), rule('to-wrong', '*wrongae*', ['wrong-ae']), rule('to-nobody', '*nobody*', ['nobody'])],
    config: { dimse: { aeTitle: 'DAFNE' } },
  });
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop()]);
  node?.cleanup();
});

const deliveries = (destination: string) => api<DeliveryView[]>(node.url, `/api/v1/deliveries?destination=${destination}&limit=1000`);

test.serial('the destination test endpoint does C-ECHO: Success from Orthanc, a refusal or no answer otherwise', async (t) => {
  const ok = await api<{ ok: boolean; status: number; message: string }>(node.url, '/api/v1/destinations/pacs-dimse/test', { method: 'POST' });
  t.deepEqual([ok.ok, ok.status, ok.message], [true, 0, 'C-ECHO answered Success']);
  const wrong = await api<{ ok: boolean; message: string }>(node.url, '/api/v1/destinations/wrong-ae/test', { method: 'POST' });
  t.false(wrong.ok);
  t.regex(wrong.message, /association rejected by NOT_ORTHANC/);
  const none = await api<{ ok: boolean; message: string }>(node.url, '/api/v1/destinations/nobody/test', { method: 'POST' });
  t.false(none.ok);
  t.regex(none.message, /network error/);
  // The API shows the kind of destination as configured.
  const listed = await api<{ name: string; dimse?: unknown; url?: string }[]>(node.url, '/api/v1/destinations');
  t.deepEqual(listed.find((d) => d.name === 'pacs-dimse')?.dimse, { host: '127.0.0.1', port: pacsDicomPort, aeTitle: 'ORTHANC' });
  t.is(listed.find((d) => d.name === 'pacs-dimse')?.url, undefined);
});

test.serial('the API refuses a destination with both url and dimse, or neither', async (t) => {
  for (const body of [{ url: 'http://127.0.0.1:1/dicom-web', dimse: { host: 'h', port: 104, aeTitle: 'X' } }, {}, { dimse: { host: 'h', port: 104, aeTitle: 'THIS_AE_IS_TOO_LONG' } }]) {
    const res = await fetch(`${node.url}/api/v1/destinations/bad`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    t.is(res.status, 400, JSON.stringify(body));
  }
});

test.serial('a leg series routed to a dimse destination arrives in Orthanc as one SEG by C-STORE, voxel-exact', async (t) => {
  const leg = await legSeries({ description: 'T1 dimse leg' });
  const study = leg.series.studyInstanceUID;
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const segs = await waitFor(async () => {
    const s = await segInstances(`${pacs.url}/dicom-web`, study);
    return s.length ? s : undefined;
  }, 60_000, 'the SEG in Orthanc');
  t.is(segs.length, 1);
  const read = readSeg(await retrieveInstance(`${pacs.url}/dicom-web`, study, segs[0]!.series, segs[0]!.sop), leg.geometry);
  t.is(read.referencedSeriesUid, leg.series.seriesInstanceUID);
  let mismatches = 0;
  for (let i = 0; i < leg.expected.length; i++) if (read.labels.data[i] !== leg.expected[i]) mismatches++;
  t.is(mismatches, 0, `${mismatches} of ${leg.expected.length} voxels differ`);
  // Orthanc's own record of how it got the instance: by DIMSE, from the node's AE title.
  const [found] = await pacs.lookup(segs[0]!.sop);
  t.is(await pacs.get<string>(`/instances/${found!.ID}/metadata/Origin`), 'DicomProtocol');
  t.is(await pacs.get<string>(`/instances/${found!.ID}/metadata/RemoteAET`), 'DAFNE');
  const [d] = await deliveries('pacs-dimse');
  t.is(d?.status, 'delivered');
  t.is(d?.attempts, 1);
  t.is(d?.sopInstanceUid, segs[0]!.sop);
});

test.serial('association rejected (permanent) by the destination: dead letter with that reason, no retries', async (t) => {
  const leg = await legSeries({ description: 'T1 wrongae leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const d = await waitFor(async () => (await deliveries('wrong-ae')).find((x) => x.status === 'dead-letter'), 60_000, 'a dead letter');
  t.is(d.attempts, 1);
  t.regex(d.reason ?? '', /association rejected by NOT_ORTHANC@127\.0\.0\.1:\d+ \(result 1/);
});

test.serial('no answer from the destination: retried with the network error as reason', async (t) => {
  const leg = await legSeries({ description: 'T1 nobody leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const d = await waitFor(async () => (await deliveries('nobody')).find((x) => x.attempts >= 2), 60_000, 'two attempts');
  t.not(d.status, 'delivered');
  t.regex(d.reason ?? '', /network error/);
});
