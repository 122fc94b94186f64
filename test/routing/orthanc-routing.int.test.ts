import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSeg } from '../../src/seg/seg-reader.js';
import type { DeliveryView } from '../../src/export/deliveries.js';
import type { JobView } from '../../src/jobs/job-list.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { api, legSeries, MODEL_ID, retrieveInstance, ROUTE_LUA, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';
import { testNeeding } from '../helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('orthanc');

/**
 * Issue 4's main proofs with a real PACS: Orthanc routes a stable series to the node with a Lua
 * OnStableSeries script, a rule matches, inference runs, and the SEG comes back into Orthanc, read
 * from Orthanc's own DICOMweb and checked voxel by voxel on the source grid; Orthanc down while a
 * SEG waits (retries with backoff, exactly once after it returns); a destination answering 202 with
 * a failed instance (dead-letter with that reason in the API). The tests share one node and one
 * Orthanc and run one after another.
 */
let node: NodeProcess;
let pacs: OrthancHarness;
let refuser: Server;

/** A STOW-RS server that stores nothing: 202 with the instance in FailedSOPSequence (0xA700). */
function startRefuser(): Promise<Server> {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sop = /1\.2\.[0-9.]+/.exec(Buffer.concat(chunks).toString('latin1', 0, 4096).split('\u0000').join(''))?.[0];
      res.writeHead(202, { 'content-type': 'application/dicom+json' });
      res.end(JSON.stringify({ '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: sop ? [sop] : [] }, '00081197': { vr: 'US', Value: [0xa700] } }] } }));
    });
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

const rule = (id: string, description: string, destinations: string[]) => ({ id, priority: 10, quietSeconds: 1, when: { Modality: 'MR', SeriesDescription: { wildcard: description } }, model: MODEL_ID, destinations, review: 'immediate' });

test.before(async () => {
  pacs = await startOrthanc({ stableAge: 1, luaScripts: [ROUTE_LUA] });
  refuser = await startRefuser();
  node = await startRoutingNode({
    destinations: [
      { name: 'pacs', url: `${pacs.url}/dicom-web`, timeoutSeconds: 5 },
      { name: 'refuser', url: `http://127.0.0.1:${(refuser.address() as AddressInfo).port}/dicomweb` },
    ],
    rules: [rule('lua-route', '*lua*', ['pacs']), rule('retry-route', '*retry*', ['pacs']), rule('refuse-route', '*refuse*', ['refuser'])],
  });
  await pacs.registerDicomWebServer('node', `${node.url}/dicomweb/`);
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop(), new Promise((r) => refuser?.close(r))]);
  node?.cleanup();
});

const evaluations = (series: string) => api<EvaluationView[]>(node.url, `/api/v1/evaluations?series=${series}`);

test.serial('Orthanc Lua OnStableSeries → node → rule → inference → SEG back in Orthanc, voxel-exact on the source grid', async (t) => {
  const leg = await legSeries({ description: 'T1 lua leg' });
  const study = leg.series.studyInstanceUID;
  for (const f of leg.series.files) await pacs.upload(f);

  // Orthanc's own DICOMweb finds the SEG the node sent back.
  const [seg] = await waitFor(async () => {
    const s = await segInstances(`${pacs.url}/dicom-web`, study);
    return s.length ? s : undefined;
  }, 60_000, 'the SEG in Orthanc');
  const bytes = await retrieveInstance(`${pacs.url}/dicom-web`, study, seg!.series, seg!.sop);
  const read = readSeg(bytes, leg.geometry);
  t.is(read.referencedSeriesUid, leg.series.seriesInstanceUID);
  let mismatches = 0;
  for (let i = 0; i < leg.expected.length; i++) if (read.labels.data[i] !== leg.expected[i]) mismatches++;
  t.is(mismatches, 0, `${mismatches} of ${leg.expected.length} voxels differ`);
  t.true(new Set(leg.expected).size >= 3);

  const [ev] = await evaluations(leg.series.seriesInstanceUID);
  t.is(ev?.outcome, 'matched');
  t.deepEqual(ev?.matchedRules, ['lua-route']);
  // The node stored its own SEG too; that series was evaluated and never routed into inference.
  const own = await waitFor(async () => (await evaluations(seg!.series))[0], 20_000, 'evaluation of the SEG series');
  t.is(own.outcome, 'own-result');

  // The same series sent again (no new content) does not run again. A second series acts as a
  // barrier: once it is evaluated, the scheduler has looked at everything stored before it.
  await pacs.stowToServer('node', [(await pacs.lookup(leg.series.seriesInstanceUID))[0]!.ID]);
  const barrier = await legSeries({ description: 'T2 barrier', studyInstanceUID: study });
  await stowParts(node.url, barrier.series.files);
  await waitFor(async () => (await evaluations(barrier.series.seriesInstanceUID)).length > 0, 20_000, 'barrier evaluation');
  t.is((await evaluations(leg.series.seriesInstanceUID)).length, 1, 'evaluated once');
  const inference = (await api<JobView[]>(node.url, '/api/v1/jobs?type=inference&limit=1000')).filter((j) => (j.data as { seriesInstanceUid: string }).seriesInstanceUid === leg.series.seriesInstanceUID);
  t.is(inference.length, 1, 'one inference job');
  t.is(inference[0]!.state, 'completed');
  const timings = (inference[0]!.output as { timings: Record<string, number> }).timings;
  t.true(timings.totalMs > 0 && timings.networkMs >= 0, 'stage timings recorded');
});

test.serial('Orthanc down while a SEG waits: retries with backoff, delivered exactly once after it returns', async (t) => {
  pacs.kill();
  const leg = await legSeries({ description: 'T1 retry leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const delivery = async () => (await api<DeliveryView[]>(node.url, '/api/v1/deliveries?limit=1000')).find((d) => d.status !== 'cancelled' && d.sopInstanceUid && d.jobId && d.destination === 'pacs' && d.status !== 'delivered');
  const waiting = await waitFor(async () => {
    const d = await delivery();
    return d && d.attempts >= 2 && d.status === 'retrying' ? d : undefined;
  }, 60_000, 'two failed delivery attempts');
  t.regex(waiting.reason ?? '', /network error/);
  const job = await waitFor(async () => {
    const j = await api<JobView>(node.url, `/api/v1/jobs/${waiting.jobId}`);
    return j.state === 'retry' && j.retryCount >= 2 ? j : undefined;
  }, 30_000, 'the delivery job waiting for its third attempt');
  t.regex(job.reason ?? '', /network error/);
  // Exponential backoff: the next attempt is scheduled later than the first retry delay (1 s).
  t.true(new Date(job.startAfter!).getTime() - new Date(job.completedAt ?? job.startedAt ?? job.createdAt).getTime() > 0);

  await pacs.restart();
  const done = await waitFor(async () => {
    const d = (await api<DeliveryView[]>(node.url, `/api/v1/deliveries?limit=1000`)).find((x) => x.id === waiting.id);
    return d?.status === 'delivered' ? d : undefined;
  }, 90_000, 'delivery after Orthanc returned');
  t.true(done.attempts >= 3);
  const segs = await segInstances(`${pacs.url}/dicom-web`, leg.series.studyInstanceUID);
  t.is(segs.length, 1, 'exactly one SEG in Orthanc');
  t.is(segs[0]!.sop, waiting.sopInstanceUid);
});

test.serial('a destination answering 202 with a failed instance: dead-letter with that reason in the API', async (t) => {
  const leg = await legSeries({ description: 'T1 refuse leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const dead = await waitFor(async () => (await api<JobView[]>(node.url, '/api/v1/jobs?type=delivery&state=dead-letter'))[0], 60_000, 'a dead-letter delivery job');
  t.regex(dead.reason ?? '', /HTTP 202.*Failure Reason 0xA700/);
  t.is(dead.retryCount, 0, 'not retried: retrying cannot change the answer');
  const [d] = (await api<DeliveryView[]>(node.url, '/api/v1/deliveries?status=dead-letter'));
  t.is(d?.destination, 'refuser');
  t.is(d?.reason, dead.reason);
  t.is(d?.attempts, 1);
});
