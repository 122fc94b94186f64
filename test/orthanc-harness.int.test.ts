import { syntheticSeries } from '../src/dicom/synthetic-mr.js';
import { startOrthanc } from './helpers/orthanc.js';
import { testNeeding } from './helpers/declare.js';

// Every test here drives the real peer(s); without them they are skipped with the reason (requirements.ts).
const test = testNeeding('orthanc');

interface Statistics {
  CountPatients: number;
  CountStudies: number;
  CountSeries: number;
  CountInstances: number;
}

test('harness: a real Orthanc takes uploads, answers QIDO, pushes STOW and survives a crash', async (t) => {
  const orthanc = await startOrthanc({ stableAge: 2 });
  t.teardown(() => orthanc.stop());
  t.not(orthanc.port, 8042);
  const system = await orthanc.get<{ Version: string }>('/system');
  t.regex(system.Version, /^1\./);

  const series = syntheticSeries({ count: 3, rows: 64, columns: 64, patientId: 'HARNESS-1' });
  const uploads = [];
  for (const inst of series.instances) uploads.push(await orthanc.upload(inst.bytes));
  t.deepEqual(uploads.map((u) => u.Status), ['Success', 'Success', 'Success']);
  t.is(new Set(uploads.map((u) => u.ParentSeries)).size, 1);

  const stats = await orthanc.get<Statistics>('/statistics');
  t.like(stats, { CountPatients: 1, CountStudies: 1, CountSeries: 1, CountInstances: 3 });

  // QIDO-RS through the DICOMweb plugin: the study is found by its UID (DICOM JSON, PS3.18 §F.2).
  const studies = await orthanc.get<Record<string, { Value?: unknown[] }>[]>(
    `/dicom-web/studies?StudyInstanceUID=${series.studyInstanceUID}`,
  );
  t.is(studies.length, 1);
  t.deepEqual(studies[0]!['0020000D']?.Value, [series.studyInstanceUID]);
  t.deepEqual(studies[0]!['00100020']?.Value, ['HARNESS-1']);

  const [hit] = await orthanc.lookup(series.sopInstanceUIDs[0]!);
  t.like(hit, { Type: 'Instance', ID: uploads[0]!.ID });

  // Orthanc's STOW client, pointed at Orthanc itself: the same series is sent and stored again.
  await orthanc.registerDicomWebServer('self', `${orthanc.url}/dicom-web/`);
  const servers = await orthanc.get<string[]>('/dicom-web/servers');
  t.true(servers.includes('self'));
  const stow = await orthanc.stowToServer('self', [uploads[0]!.ParentSeries]);
  t.is(Number(stow.InstancesCount), 3);

  // A crash and a restart keep the data (same port, same storage).
  orthanc.kill();
  await orthanc.restart();
  t.like(await orthanc.get<Statistics>('/statistics'), { CountInstances: 3 });
});
