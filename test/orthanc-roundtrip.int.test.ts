import { syntheticSeries } from '../src/dicom/synthetic-mr.js';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from './helpers/orthanc.js';
import { testNeeding } from './helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('orthanc');

/**
 * Issue 2's main proof, with a real PACS: Orthanc pushes a study of several series to the node
 * through its DICOMweb client and its job succeeds; a second, empty Orthanc pulls the study back
 * from the node (QIDO-RS + WADO-RS) and every instance is byte-identical to what was sent.
 */
let node: NodeProcess;
let pacs: OrthancHarness;
let puller: OrthancHarness;

test.before(async () => {
  node = await startNodeProcess();
  [pacs, puller] = await Promise.all([startOrthanc(), startOrthanc()]);
  for (const o of [pacs, puller]) await o.registerDicomWebServer('dafne', `${node.url}/dicomweb/`);
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), puller?.stop(), node?.stop()]);
  node?.cleanup();
});

test('Orthanc pushes a multi-series study to the node and pulls it back byte-identical', async (t) => {
  const patient = { patientId: 'RT-001', patientName: 'Roundtrip^Test' };
  const first = syntheticSeries({ count: 12, seriesNumber: 1, seriesDescription: 'T1 axial', ...patient });
  const study = first.studyInstanceUID;
  const series = [
    first,
    syntheticSeries({ count: 9, seriesNumber: 2, seriesDescription: 'T2 coronal', studyInstanceUID: study, orientation: [1, 0, 0, 0, 0, -1], rows: 192, columns: 160, ...patient }),
    syntheticSeries({ count: 5, seriesNumber: 3, seriesDescription: 'implicit VR', studyInstanceUID: study, transferSyntax: 'implicit-le', ...patient }),
  ];
  const sent = new Map<string, Buffer>();
  for (const s of series) for (const i of s.instances) sent.set(i.sopInstanceUID, i.bytes);
  for (const bytes of sent.values()) await pacs.upload(bytes);

  // Push: one STOW-RS per series from Orthanc's DICOMweb client; the job must succeed.
  const [studyRef] = await pacs.lookup(study);
  t.is(studyRef?.Type, 'Study');
  const job = await pacs.stowToServer('dafne', [studyRef!.ID]);
  t.is(Number(job.InstancesCount), sent.size, JSON.stringify(job));

  // The node indexed all of it.
  const qido = (await (await fetch(`${node.url}/dicomweb/studies/${study}/instances?limit=1000`)).json()) as unknown[];
  t.is(qido.length, sent.size);

  // Pull: Orthanc's own DICOMweb client queries (QIDO-RS) and retrieves (WADO-RS) from the node.
  const found = await puller.post<{ Answer?: unknown }>('/dicom-web/servers/dafne/get', { Uri: '/studies', Arguments: { StudyInstanceUID: study } });
  t.is((found as unknown as unknown[]).length, 1, 'QIDO through Orthanc finds the study');
  await puller.post('/dicom-web/servers/dafne/retrieve', { Resources: [{ Study: study }], Synchronous: true });
  const instances = await puller.get<string[]>('/instances');
  t.is(instances.length, sent.size);
  let identical = 0;
  for (const id of instances) {
    const tags = await puller.get<{ SOPInstanceUID: string }>(`/instances/${id}/simplified-tags`);
    const res = await fetch(`${puller.url}/instances/${id}/file`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sent.get(tags.SOPInstanceUID)?.equals(bytes)) identical++;
  }
  t.is(identical, sent.size, 'every instance pulled back is byte-identical to the one pushed');
});
