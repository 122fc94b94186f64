/**
 * The node's DIMSE Storage / Verification SCP (issue 16) against DCMTK as the PACS: echoscu and
 * storescu -aec DAFNE into DIMSE_PORT; a 20-instance series stored dataset-identical (byte for byte
 * when the syntax is kept, element for element by dcmdump when storescu converts); AE title checks,
 * an unsupported SOP class, an instance over the size limit and a re-used SOP Instance UID get the
 * standard rejections / statuses and store nothing; a series stored by C-STORE is routed like one
 * stored by STOW-RS (Sender = the calling AE title).
 */
import { FailureReason } from '../../src/dicom/status.js';
import { newUid, syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import type { EvaluationView } from '../../src/routing/route-series.js';
import { datasetOffset, dumpDataset, dumpTag, echoscu, runTool, storescu, writeFiles } from '../helpers/dcmtk.js';
import { proposeContexts } from './propose.js';
import { minimalInstance } from '../helpers/dicom-fixtures.js';
import { freePort, type NodeProcess } from '../helpers/node-process.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries, MODEL_ID, segInstances, startRoutingNode } from '../helpers/routing-fixture.js';
import { retrieveInstance } from '../helpers/wado-get.js';
import { waitFor } from '../helpers/wait.js';

const test = testNeeding('dcmtk');
let node: NodeProcess;
let port: number;

test.before(async () => {
  port = await freePort();
  node = await startRoutingNode({
    env: { DIMSE_PORT: String(port) },
    config: { dimse: { aeTitle: 'DAFNE', allowedCallingAeTitles: ['ECHOSCU', 'STORESCU', 'TESTSCU', 'MODALITY1'] }, stow: { maxInstanceBytes: 400_000 }, log: { level: 'info' } },
    rules: [{ id: 'from-modality', priority: 10, quietSeconds: 1, when: { Sender: 'MODALITY1' }, model: MODEL_ID, destinations: [], review: 'immediate' }],
  });
});
test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
});

const instancesOf = async (study: string, series: string): Promise<number> => {
  const res = await fetch(`${node.url}/dicomweb/studies/${study}/series/${series}/instances`, { headers: { accept: 'application/dicom+json' } });
  return res.status === 200 ? ((await res.json()) as unknown[]).length : 0;
};

test.serial('C-ECHO: echoscu -aec DAFNE succeeds', async (t) => {
  const r = await echoscu(port);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /Received Echo Response \(Success\)/);
});

test.serial('storescu -aec DAFNE: a 20-instance series is stored, each data set byte for byte, File Meta from the command', async (t) => {
  const series = syntheticSeries({ count: 20, rows: 64, columns: 64, patientName: 'Dimse^Patient' });
  const originals = [...series.instances];
  const r = await storescu(port, writeFiles(originals.map((i) => i.bytes)), { calling: 'TESTSCU' });
  t.is(r.code, 0, r.out);
  t.is((r.out.match(/Received Store Response \(Success\)/g) ?? []).length, 20, r.out);
  t.is(await instancesOf(series.studyInstanceUID, series.seriesInstanceUID), 20);
  for (const o of originals) {
    const stored = await retrieveInstance(node.url, series.studyInstanceUID, series.seriesInstanceUID, o.sopInstanceUID);
    t.truthy(stored, o.sopInstanceUID);
    t.true(stored!.subarray(datasetOffset(stored!)).equals(o.bytes.subarray(datasetOffset(o.bytes))), `data set of instance ${o.instanceNumber} byte for byte`);
  }
  const first = (await retrieveInstance(node.url, series.studyInstanceUID, series.seriesInstanceUID, originals[0]!.sopInstanceUID))!;
  t.is(await dumpTag(first, '0002,0003'), originals[0]!.sopInstanceUID);
  t.is(await dumpTag(first, '0002,0002'), '1.2.840.10008.5.1.4.1.1.4');
  t.is(await dumpTag(first, '0002,0010'), '1.2.840.10008.1.2.1');
  t.is(await dumpTag(first, '0002,0016'), 'TESTSCU');
  t.is(await dumpDataset(first), await dumpDataset(originals[0]!.bytes));
  t.false(node.log().includes('Dimse^Patient'), 'no patient name in the log');
});

test.serial('storescu proposing Implicit VR only: stored in Implicit VR Little Endian, dataset-identical by dcmdump', async (t) => {
  const series = syntheticSeries({ count: 3, rows: 32, columns: 32 });
  const originals = [...series.instances];
  const r = await storescu(port, writeFiles(originals.map((i) => i.bytes)), { extra: ['-xi'] });
  t.is(r.code, 0, r.out);
  for (const o of originals) {
    const stored = (await retrieveInstance(node.url, series.studyInstanceUID, series.seriesInstanceUID, o.sopInstanceUID))!;
    t.is(await dumpTag(stored, '0002,0010'), '1.2.840.10008.1.2');
    t.is(await dumpDataset(stored), await dumpDataset(o.bytes));
  }
});

test.serial('association rejected: called AE not this node (7), calling AE not allowed (3); nothing stored', async (t) => {
  const wrongCalled = await echoscu(port, 'NOTDAFNE');
  t.not(wrongCalled.code, 0);
  t.regex(wrongCalled.out, /Association Rejected[\s\S]*Called AE Title Not Recognized/i);
  const wrongCalling = await echoscu(port, 'DAFNE', 'INTRUDER');
  t.not(wrongCalling.code, 0);
  t.regex(wrongCalling.out, /Association Rejected[\s\S]*Calling AE Title Not Recognized/i);
  const one = minimalInstance({ studyUid: newUid(), seriesUid: newUid() });
  const stored = await storescu(port, writeFiles([one.bytes]), { calling: 'INTRUDER' });
  t.not(stored.code, 0);
  t.regex(node.log(), /DIMSE association rejected/);
});

test.serial('an unsupported SOP class (findscu, Study Root FIND): its presentation context is refused, abstract syntax not supported (3)', async (t) => {
  const r = await runTool('findscu', ['-v', '-S', '-k', 'QueryRetrieveLevel=STUDY', '-aec', 'DAFNE', '-aet', 'ECHOSCU', '127.0.0.1', String(port)]);
  t.not(r.code, 0, r.out);
  t.regex(r.out, /No Acceptable Presentation Contexts/i);
});

test.serial('an unsupported transfer syntax (MPEG2 only): the context is refused, transfer syntaxes not supported (4); a supported one in the same association is accepted', async (t) => {
  const results = await proposeContexts(port, [
    { abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: ['1.2.840.10008.1.2.4.100'] },
    { abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: ['1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2'] },
    { abstractSyntax: '1.2.826.0.1.3680043.8.498.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
  ]);
  t.deepEqual(results, [
    { result: 4, transferSyntax: undefined },
    { result: 0, transferSyntax: '1.2.840.10008.1.2' },
    { result: 3, transferSyntax: undefined },
  ]);
});

test.serial('over stow.maxInstanceBytes: status A700 (Out of Resources) and not stored; a re-used UID with other content: 0111, the first kept', async (t) => {
  const big = syntheticSeries({ count: 1, rows: 512, columns: 512 }); // ≈ 520 KB > 400 KB
  const r = await storescu(port, writeFiles([big.instance(0).bytes]));
  t.regex(r.out, /Store Response \([^)]*(OutOfResources|Out of Resources|a700)/i, r.out);
  t.is(await instancesOf(big.studyInstanceUID, big.seriesInstanceUID), 0);

  const study = newUid();
  const series = newUid();
  const first = minimalInstance({ fill: 1, studyUid: study, seriesUid: series });
  const other = minimalInstance({ fill: 2, sopInstanceUid: first.sopInstanceUid, studyUid: study, seriesUid: series });
  t.is((await storescu(port, writeFiles([first.bytes]))).code, 0);
  const again = await storescu(port, writeFiles([first.bytes]));
  t.regex(again.out, /Received Store Response \(Success\)/, 'the identical object again succeeds');
  const dup = await storescu(port, writeFiles([other.bytes]));
  t.regex(dup.out, /Store Response \([^)]*(Duplicate|0x0?111)/i, dup.out);
  t.is(FailureReason.duplicateSopInstance, 0x0111);
  const stored = (await retrieveInstance(node.url, study, series, first.sopInstanceUid))!;
  t.true(stored.subarray(datasetOffset(stored)).equals(first.bytes.subarray(datasetOffset(first.bytes))), 'the first object is kept');
});

test.serial('a series stored by C-STORE is routed like STOW-RS: rule Sender = calling AE title, inference, SEG stored', async (t) => {
  const leg = await legSeries({ description: 'T1 dimse leg' });
  const r = await storescu(port, writeFiles(leg.series.files), { calling: 'MODALITY1' });
  t.is(r.code, 0, r.out);
  const [ev] = await waitFor(async () => {
    const e = await api<EvaluationView[]>(node.url, `/api/v1/evaluations?series=${leg.series.seriesInstanceUID}`);
    return e.length ? e : undefined;
  }, 30_000, 'the series evaluated');
  t.is(ev!.outcome, 'matched');
  t.deepEqual(ev!.matchedRules, ['from-modality']);
  const segs = await waitFor(async () => {
    const s = await segInstances(`${node.url}/dicomweb`, leg.series.studyInstanceUID);
    return s.length ? s : undefined;
  }, 60_000, 'the SEG in the node');
  t.is(segs.length, 1);
});
