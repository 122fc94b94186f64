import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import type { DeliveryView } from '../../src/export/deliveries.js';
import type { JobView } from '../../src/jobs/job-list.js';
import { readSeg } from '../../src/seg/seg-reader.js';
import { freePort, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries, MODEL_ID, retrieveInstance, ROUTE_LUA, segInstances, startRoutingNode, type LegSeries } from '../helpers/routing-fixture.js';
import { waitFor } from '../helpers/wait.js';

const test = testNeeding('orthanc');

/**
 * Issue 17 item 1, as a new user met it: slices 1–10 of a series reach the node (Orthanc Lua
 * OnStableSeries → STOW-RS), its job runs, then slices 11–20 arrive. The documented supersede
 * policy (docs/routing.md, "Late instances") must leave exactly one current SEG for the series in
 * the PACS: the re-run's, referencing all 20 source instances, voxel-exact on the source grid.
 * Two ways the first SEG can stand: already delivered (it is deleted at the destination through
 * Orthanc's REST API and its delivery ends `retracted`), or still waiting to be delivered (the
 * delivery is cancelled with reason `superseded` and never reaches the PACS). For the second, the
 * destination is Orthanc behind a gate that answers 503 until the test opens it. A third case sends
 * 11–20 the moment the first job started: the end state must be the same whichever way that race
 * goes (the first run drops its outdated SEG, or makes one that is then cancelled or retracted).
 * The delivered case runs again with Orthanc as a DIMSE (C-STORE) destination.
 */
let node: NodeProcess;
let pacs: OrthancHarness;
let gate: Server;
let keeper: Server;
let gateOpen = false;

/** A STOW-RS destination that keeps everything and cannot delete: 200 without a body to every request. */
function startKeeper(): Promise<Server> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

/** An HTTP gate in front of Orthanc: 503 while closed, a plain forwarder while open. */
function startGate(target: () => string): Promise<Server> {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!gateOpen) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('gate closed');
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)).map(([k, v]) => [k, String(v)]));
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      fetch(`${target()}${req.url}`, { method: req.method, headers, body })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' }).end(out);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

const rule = (id: string, description: string, destinations: string[]) => ({ id, priority: 10, quietSeconds: 1, when: { Modality: 'MR', SeriesDescription: { wildcard: description } }, model: MODEL_ID, destinations, review: 'immediate' });

test.before(async () => {
  // Orthanc takes C-STORE too, from the node's AE at 127.0.0.1 only (as in dimse-destination.int.test.ts).
  const dicomPort = await freePort();
  pacs = await startOrthanc({
    stableAge: 1,
    luaScripts: [ROUTE_LUA],
    config: { DicomServerEnabled: true, DicomPort: dicomPort, DicomAet: 'ORTHANC', DicomCheckCalledAet: true, DicomAlwaysAllowStore: false, DicomCheckModalityHost: true, DicomModalities: { dafne: ['DAFNE', '127.0.0.1', 104] } },
  });
  gate = await startGate(() => pacs.url);
  keeper = await startKeeper();
  const gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
  // Orthanc's DICOMweb plugin (1.7) has no DELETE, so the delete goes to its REST API.
  const removeSuperseded = { via: 'orthanc', url: pacs.url };
  node = await startRoutingNode({
    destinations: [
      { name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 5, removeSuperseded },
      { name: 'gated', url: `${gateUrl}/dicom-web`, timeoutSeconds: 5, removeSuperseded },
      { name: 'keeper', url: `http://127.0.0.1:${(keeper.address() as AddressInfo).port}/dicomweb`, timeoutSeconds: 5 },
      { name: 'pacs-dimse', dimse: { host: '127.0.0.1', port: dicomPort, aeTitle: 'ORTHANC' }, timeoutSeconds: 10, removeSuperseded },
    ],
    rules: [
      rule('late-route', '*late delivered*', ['pacs', 'keeper']),
      rule('gated-route', '*late gated*', ['gated']),
      rule('started-route', '*late started*', ['pacs']),
      rule('dimse-route', '*late dimse*', ['pacs-dimse']),
    ],
    config: { dimse: { aeTitle: 'DAFNE' } },
  });
  await pacs.registerDicomWebServer('node', `${node.url}/dicomweb/`);
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop(), new Promise((r) => gate?.close(r)), new Promise((r) => keeper?.close(r))]);
  node?.cleanup();
});

type Json = Record<string, { Value?: unknown[] }>;
const deliveries = (dest: string) => api<DeliveryView[]>(node.url, `/api/v1/deliveries?destination=${dest}&limit=1000`);

/** Orthanc holds exactly one SEG for the study: the one of `sop`, on all 20 slices, voxel-exact. */
async function assertOneCurrentSeg(t: ExecutionContext, leg: LegSeries, sop: string, revision = 2): Promise<void> {
  const root = `${pacs.url}/dicom-web`;
  const study = leg.series.studyInstanceUID;
  const segs = await segInstances(root, study);
  t.is(segs.length, 1, `exactly one SEG in Orthanc for the series (found ${segs.length})`);
  t.is(segs[0]?.sop, sop);
  // Common Instance Reference (PS3.3 C.12.2): the SEG references every one of the 20 source instances.
  const meta = (await (await fetch(`${root}/studies/${study}/series/${segs[0]!.series}/metadata`)).json()) as Json[];
  const refSeries = meta[0]!['00081115']?.Value?.[0] as Json | undefined;
  t.is(refSeries?.['0020000E']?.Value?.[0], leg.series.seriesInstanceUID);
  // Where a PACS cannot delete the old SEG, the description says which one is current.
  const description = String(meta[0]!['0008103E']?.Value?.[0]);
  if (revision > 1) t.regex(description, new RegExp(` rev ${revision}$`));
  else t.notRegex(description, / rev \d+$/);
  const refs = ((refSeries?.['0008114A']?.Value ?? []) as Json[]).map((i) => i['00081155']?.Value?.[0] as string);
  t.deepEqual([...refs].sort(), [...leg.series.sopInstanceUIDs].sort());
  const read = readSeg(await retrieveInstance(root, study, segs[0]!.series, sop), leg.geometry);
  t.is(read.referencedSeriesUid, leg.series.seriesInstanceUID);
  let mismatches = 0;
  for (let i = 0; i < leg.expected.length; i++) if (read.labels.data[i] !== leg.expected[i]) mismatches++;
  t.is(mismatches, 0, `${mismatches} of ${leg.expected.length} voxels differ`);
  t.true(new Set(leg.expected).size >= 3);
}

const uploadAll = async (files: Buffer[]) => {
  for (const f of files) await pacs.upload(f);
};

/** Slices 1–10, the first SEG delivered to `dest`, then 11–20: the re-run's SEG there, the first one retracted. */
async function deliveredThenLate(t: ExecutionContext, description: string, dest: string): Promise<{ old: DeliveryView; current: DeliveryView }> {
  const leg = await legSeries({ description, slices: 20 });
  await uploadAll(leg.series.files.slice(0, 10));
  const first = await waitFor(async () => (await deliveries(dest)).find((d) => d.status === 'delivered'), 90_000, `the first SEG (10 slices) delivered to ${dest}`);
  t.deepEqual((await segInstances(`${pacs.url}/dicom-web`, leg.series.studyInstanceUID)).map((s) => s.sop), [first.sopInstanceUid]);

  await uploadAll(leg.series.files.slice(10));
  const done = await waitFor(async () => {
    const all = await deliveries(dest);
    const old = all.find((d) => d.id === first.id);
    const current = all.find((d) => d.id !== first.id && d.status === 'delivered');
    return old?.status === 'retracted' && current ? { old, current } : undefined;
  }, 120_000, 'the re-run SEG delivered and the first one retracted');
  t.regex(done.old.reason ?? '', /^superseded; deleted by Orthanc REST/);
  t.not(done.current.aiResultId, done.old.aiResultId);
  await assertOneCurrentSeg(t, leg, done.current.sopInstanceUid);
  return done;
}

test.serial('slices 11–20 after the first SEG was delivered: the re-run SEG replaces it in Orthanc (old one deleted, delivery retracted)', async (t) => {
  const done = await deliveredThenLate(t, 'T1 late delivered leg', 'pacs');
  // A destination that cannot delete keeps both; the old delivery says it is superseded and still there.
  const kept = await waitFor(async () => {
    const all = await deliveries('keeper');
    const old = all.find((d) => d.aiResultId === done.old.aiResultId);
    return all.some((d) => d.aiResultId === done.current.aiResultId && d.status === 'delivered') && /still at the destination/.test(old?.reason ?? '') ? old : undefined;
  }, 60_000, 'the old SEG at the keeper flagged as superseded');
  t.is(kept.status, 'delivered');
  t.regex(kept.reason ?? '', /^superseded by ai_result \d+; still at the destination, which cannot delete it/);
});

test.serial('the same with Orthanc as a DIMSE destination: C-STORE of the re-run SEG, the first one deleted by REST', async (t) => {
  const done = await deliveredThenLate(t, 'T1 late dimse leg', 'pacs-dimse');
  t.is(done.current.destination, 'pacs-dimse');
  const [inst] = await pacs.lookup(done.current.sopInstanceUid);
  t.is(await pacs.get<string>(`/instances/${inst!.ID}/metadata/Origin`), 'DicomProtocol', 'stored in Orthanc by C-STORE');
});

test.serial('slices 11–20 while the first SEG still waits for its destination: that delivery is cancelled (superseded) and never reaches Orthanc', async (t) => {
  gateOpen = false;
  const leg = await legSeries({ description: 'T1 late gated leg', slices: 20 });
  await uploadAll(leg.series.files.slice(0, 10));
  const first = await waitFor(async () => (await deliveries('gated')).find((d) => d.status === 'retrying' && d.attempts >= 1), 90_000, 'the first SEG retrying at the closed gate');
  t.regex(first.reason ?? '', /HTTP 503/);

  await uploadAll(leg.series.files.slice(10));
  const cancelled = await waitFor(async () => {
    const d = (await deliveries('gated')).find((x) => x.id === first.id);
    return d?.status === 'cancelled' ? d : undefined;
  }, 120_000, 'the first delivery cancelled by the re-run');
  t.regex(cancelled.reason ?? '', /^superseded by ai_result \d+/);
  const job = await api<JobView>(node.url, `/api/v1/jobs/${first.jobId}`);
  t.true(['cancelled', 'completed'].includes(job.state), `the first delivery's job ends without sending (${job.state})`);

  gateOpen = true;
  const current = await waitFor(async () => (await deliveries('gated')).find((d) => d.id !== first.id && d.status === 'delivered'), 120_000, 'the re-run SEG delivered through the open gate');
  const after = (await deliveries('gated')).find((d) => d.id === first.id)!;
  t.is(after.status, 'cancelled', 'the superseded delivery stays cancelled');
  t.is(after.attempts, cancelled.attempts, 'and is not attempted again');
  t.is((await pacs.lookup(first.sopInstanceUid)).length, 0, 'the superseded SEG never reached Orthanc');
  await assertOneCurrentSeg(t, leg, current.sopInstanceUid);
});

test.serial('slices 11–20 as soon as the first job started: whichever way the race goes, one current SEG in Orthanc', async (t) => {
  const before = new Set((await deliveries('pacs')).map((d) => d.id));
  const leg = await legSeries({ description: 'T1 late started leg', slices: 20 });
  const series = leg.series.seriesInstanceUID;
  const jobs = async () => (await api<JobView[]>(node.url, '/api/v1/jobs?type=inference&limit=1000')).filter((j) => (j.data as { seriesInstanceUid: string }).seriesInstanceUid === series);
  await uploadAll(leg.series.files.slice(0, 10));
  await waitFor(async () => (await jobs()).some((j) => j.state === 'active' || j.state === 'completed'), 90_000, 'the first inference job started', 20);
  await uploadAll(leg.series.files.slice(10));
  // Settled: both contents ran, every delivery of this series is final, exactly one of them delivered.
  const current = await waitFor(async () => {
    const js = await jobs();
    if (js.length < 2 || js.some((j) => j.state !== 'completed')) return undefined;
    const mine = (await deliveries('pacs')).filter((d) => !before.has(d.id));
    if (mine.some((d) => !['delivered', 'cancelled', 'retracted'].includes(d.status))) return undefined;
    const delivered = mine.filter((d) => d.status === 'delivered');
    const inPacs = await segInstances(`${pacs.url}/dicom-web`, leg.series.studyInstanceUID);
    return delivered.length === 1 && inPacs.length === 1 && inPacs[0]!.sop === delivered[0]!.sopInstanceUid ? delivered[0] : undefined;
  }, 120_000, 'one delivered SEG for the series, the rest cancelled or retracted');
  const dropped = (await jobs()).some((j) => (j.output as { superseded?: boolean } | null)?.superseded === true);
  t.log(dropped ? 'the first run noticed the new slices and made no SEG' : 'the first run made a SEG; it was cancelled or retracted');
  await assertOneCurrentSeg(t, leg, current.sopInstanceUid, dropped ? 1 : 2);
});
