/**
 * Output profiles with a real PACS (issue 18): a leg series routed with profiles seg + sr +
 * sc-overlay to Orthanc by STOW-RS leaves there exactly one SEG, one SR whose per-muscle volumes are
 * the SEG's voxel counts × voxel volume (within 1 %), and one overlay instance per source slice;
 * every object as Orthanc holds it passes dciodvfy. The same by C-STORE to Orthanc's DICOM port
 * (destination-level profiles). A reader's correction (review policy after-review) replaces the AI
 * SR at the destination with the corrected result's, which carries the same tracking UIDs. Unknown
 * profiles are refused like any rule or destination error (400 with the field).
 */
import { readSeg } from '../../src/seg/seg-reader.js';
import { writeSeg } from '../../src/seg/seg-writer.js';
import { sourceAttributes } from '../../src/inference/segment-series.js';
import type { DeliveryView } from '../../src/export/deliveries.js';
import { freePort, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { testNeeding } from '../helpers/declare.js';
import { ofClass, segCounts, segVoxelMm3, SOP, studyInstances, validate, dataset } from '../helpers/result-objects.js';
import { api, legSeries, MODEL_ID, retrieveInstance, startRoutingNode, type LegSeries } from '../helpers/routing-fixture.js';
import { stowParts } from '../helpers/stow-client.js';
import { waitFor } from '../helpers/wait.js';
import { readReport } from '../sr/read-report.js';
import { writeLegSeries } from '../../src/phantom/write-series.js';
import type { Volume } from '../../src/dicom/volume.js';
import { newUid } from '../../src/dicom/synthetic-mr.js';

const test = testNeeding('orthanc', 'dicom3tools');
let node: NodeProcess;
let pacs: OrthancHarness;
let web: string;

const rule = (id: string, description: string, destinations: unknown[], review = 'immediate') => ({ id, priority: 10, quietSeconds: 1, when: { Modality: 'MR', SeriesDescription: { wildcard: description } }, model: MODEL_ID, destinations, review });

test.before(async () => {
  const dicomPort = await freePort();
  pacs = await startOrthanc({
    config: { DicomServerEnabled: true, DicomPort: dicomPort, DicomAet: 'ORTHANC', DicomCheckCalledAet: true, DicomAlwaysAllowStore: false, DicomCheckModalityHost: true, DicomModalities: { dafne: ['DAFNE', '127.0.0.1', 104] } },
  });
  web = `${pacs.url}/dicom-web`;
  node = await startRoutingNode({
    destinations: [
      { name: 'pacs-web', url: web, timeoutSeconds: 10 },
      { name: 'pacs-rm', url: web, timeoutSeconds: 10, removeSuperseded: { via: 'orthanc', url: pacs.url }, profiles: ['seg', 'sr'] },
      { name: 'pacs-dimse', dimse: { host: '127.0.0.1', port: dicomPort, aeTitle: 'ORTHANC' }, timeoutSeconds: 10, profiles: ['sr', 'sc-overlay'] },
    ],
    rules: [
      rule('all-three', '*all three*', [{ name: 'pacs-web', profiles: ['seg', 'sr', 'sc-overlay'] }]),
      rule('by-dimse', '*dimse*', ['pacs-dimse']),
      rule('reviewed', '*reviewed*', [{ name: 'pacs-web', profiles: ['seg', 'sr'] }], 'after-review'),
      rule('dixon', '*T1 dixon study*', [{ name: 'pacs-web', profiles: ['sr'] }]),
      rule('rerun', '*rerun leg*', ['pacs-rm']),
    ],
    config: { dimse: { aeTitle: 'DAFNE' } },
  });
});

test.after.always(async () => {
  await Promise.all([pacs?.stop(), node?.stop()]);
  node?.cleanup();
});

const deliveriesOf = async (sops: Set<string>) => (await api<DeliveryView[]>(node.url, '/api/v1/deliveries?limit=1000')).filter((d) => sops.has(d.sopInstanceUid));

/** Waits until Orthanc holds `want` objects of the study and every delivery of them is delivered. */
async function held(leg: LegSeries, want: { seg: number; sr: number; sc: number }) {
  const study = leg.series.studyInstanceUID;
  return waitFor(async () => {
    const all = await studyInstances(web, study);
    const seg = ofClass(all, SOP.SEG), sr = ofClass(all, SOP.ENHANCED_SR), sc = ofClass(all, SOP.SC);
    return seg.length >= want.seg && sr.length >= want.sr && sc.length >= want.sc ? { seg, sr, sc } : undefined;
  }, 90_000, `${want.seg} SEG, ${want.sr} SR, ${want.sc} SC in Orthanc`);
}

/** The SR's volumes against the SEG's voxel counts × voxel volume, segment by segment. */
function checkVolumes(t: import('ava').ExecutionContext, srBytes: Buffer, segBytes: Buffer, segSop: string, leg: LegSeries) {
  const counts = segCounts(segBytes, leg.geometry);
  const mm3 = segVoxelMm3(segBytes);
  const report = readReport(srBytes);
  t.is(report.groups.length, counts.size, 'one measurement group per segment');
  for (const g of report.groups) {
    const c = counts.get(g.segmentNumber);
    t.truthy(c, `segment ${g.segmentNumber} is in the SEG`);
    t.is(g.segSopInstanceUid, segSop, 'the group references the delivered SEG');
    const expected = (c!.voxels * mm3) / 1000;
    t.true(c!.voxels > 0);
    t.true(Math.abs(g.volumeMl! - expected) <= 0.01 * expected, `${g.label}: SR ${g.volumeMl} mL, SEG ${c!.voxels} voxels × ${mm3} mm³ = ${expected} mL`);
    t.is(g.trackingUid as string | undefined, c!.trackingUid, 'SR and SEG carry the same tracking UID');
    t.log(`${g.label}: SEG ${c!.voxels} voxels × ${mm3} mm³ = ${expected} mL; SR ${g.volumeMl} mL (${((100 * (g.volumeMl! - expected)) / expected).toFixed(6)} %)`);
  }
  return report;
}

test.serial('seg + sr + sc-overlay by STOW-RS: one SEG, one SR with the SEG’s volumes (≤ 1 %), one overlay per source slice, all pass dciodvfy', async (t) => {
  const leg = await legSeries({ description: 'T1 all three leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const { seg, sr, sc } = await held(leg, { seg: 1, sr: 1, sc: leg.geometry.slices });
  const sops = new Set([...seg, ...sr, ...sc].map((i) => i.sop));
  await waitFor(async () => {
    const d = await deliveriesOf(sops);
    return d.length === sops.size && d.every((x) => x.status === 'delivered');
  }, 30_000, 'every delivery delivered');
  const again = await studyInstances(web, leg.series.studyInstanceUID);
  t.is(ofClass(again, SOP.SEG).length, 1, 'one SEG');
  t.is(ofClass(again, SOP.ENHANCED_SR).length, 1, 'one SR');
  t.is(ofClass(again, SOP.SC).length, leg.geometry.slices, 'one overlay instance per source slice');

  const study = leg.series.studyInstanceUID;
  const segBytes = await retrieveInstance(web, study, seg[0]!.series, seg[0]!.sop);
  const srBytes = await retrieveInstance(web, study, sr[0]!.series, sr[0]!.sop);
  const report = checkVolumes(t, srBytes, segBytes, seg[0]!.sop, leg);
  t.true(report.groups.every((g) => g.mean !== undefined && g.sd !== undefined), 'signal mean and SD per segment');
  t.deepEqual(await validate(segBytes), [], 'SEG passes dciodvfy');
  t.deepEqual(await validate(srBytes), [], 'SR passes dciodvfy');

  const sources = new Set<string>();
  for (const i of sc) {
    const bytes = await retrieveInstance(web, study, i.series, i.sop);
    t.deepEqual(await validate(bytes), [], `SC ${i.sop} passes dciodvfy`);
    const ds = dataset(bytes);
    t.deepEqual(ds['00080008']?.Value, ['DERIVED', 'SECONDARY']);
    t.deepEqual(ds['00280301']?.Value, ['YES']);
    sources.add(String(((ds['00082112']?.Value?.[0] as Record<string, { Value?: unknown[] }>)['00081155']?.Value?.[0])));
  }
  t.deepEqual([...sources].sort(), [...leg.series.sopInstanceUIDs].sort(), 'each source slice has its overlay');

  // The console's numbers: the same volumes, from the API.
  const [result] = await api<{ id: string }[]>(node.url, `/api/v1/results?study=${study}`);
  const m = await api<{ current: { segments: { label: string; volumeMl: number }[]; srSopInstanceUid: string; source: string }; history: unknown[] }>(node.url, `/api/v1/results/${result!.id}/measurements`);
  t.is(m.current.srSopInstanceUid, sr[0]!.sop);
  t.is(m.current.source, 'ai');
  t.deepEqual(m.current.segments.map((s) => s.volumeMl), report.groups.map((g) => g.volumeMl));
});

test.serial('destination-level profiles by C-STORE: the SR and the overlay, no SEG; dciodvfy on what Orthanc holds', async (t) => {
  const leg = await legSeries({ description: 'T1 dimse leg' });
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const { sr, sc } = await held(leg, { seg: 0, sr: 1, sc: leg.geometry.slices });
  const all = await studyInstances(web, leg.series.studyInstanceUID);
  t.is(ofClass(all, SOP.SEG).length, 0, 'no SEG: the destination asked for sr and sc-overlay only');
  t.is(sr.length, 1);
  t.is(sc.length, leg.geometry.slices);
  const bytes = await retrieveInstance(web, leg.series.studyInstanceUID, sr[0]!.series, sr[0]!.sop);
  t.deepEqual(await validate(bytes), []);
  t.is(readReport(bytes).groups.length, 3);
});

test.serial('a correction (after-review) yields a new SR with the same tracking UIDs; it replaces the AI SR at the destination', async (t) => {
  const leg = await legSeries({ description: 'T1 reviewed leg', patientId: 'LONGITUDINAL-1' });
  const study = leg.series.studyInstanceUID;
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const result = await waitFor(async () => (await api<{ id: string; segSopInstanceUid: string; segSeriesInstanceUid: string }[]>(node.url, `/api/v1/results?study=${study}`))[0], 60_000, 'the AI result');
  const aiReport = await waitFor(async () => api<{ current: { srSopInstanceUid: string; segments: { trackingUid: string; label: string; voxels: number }[] } }>(node.url, `/api/v1/results/${result.id}/measurements`).catch(() => undefined), 30_000, 'the AI measurement report');
  t.is((await studyInstances(web, study)).length, 0, 'nothing delivered before review');

  // The reader removes every 'low' voxel of the first slice.
  const aiSeg = await retrieveInstance(`${node.url}/dicomweb`, study, result.segSeriesInstanceUid, result.segSopInstanceUid);
  const read = readSeg(aiSeg, leg.geometry);
  const px = leg.geometry.rows * leg.geometry.columns;
  const data = Uint8Array.from(read.labels.data, (l, i) => (i < px && l === 1 ? 0 : l));
  const removed = read.labels.data.filter((l, i) => i < px && l === 1).length;
  t.true(removed > 0, 'the correction changes something');
  const corrected = writeSeg({
    labels: { ...read.labels, data },
    segments: read.segments,
    algorithm: { type: 'MANUAL', name: '', version: '' },
    source: sourceAttributes(leg.series.files[0]!).source,
    series: { seriesNumber: 4001, seriesDescription: 'corrected' },
    equipment: { manufacturerModelName: 'Reader workstation', softwareVersions: '1', deviceSerialNumber: 'ws-1' },
  });
  t.is((await stowParts(node.url, [corrected])).status, 200);
  const correctedSop = readSeg(corrected).sopInstanceUid;
  await api(node.url, `/api/v1/results/${result.id}/review`, { body: { action: 'correct', correctedSopInstanceUid: correctedSop } });

  const { seg, sr } = await held(leg, { seg: 1, sr: 1, sc: 0 });
  t.is(seg[0]!.sop, correctedSop, 'the corrected SEG went to the PACS');
  t.not(sr[0]!.sop, aiReport.current.srSopInstanceUid, 'the corrected SR, not the AI one');
  const srBytes = await retrieveInstance(web, study, sr[0]!.series, sr[0]!.sop);
  const segBytes = await retrieveInstance(web, study, seg[0]!.series, seg[0]!.sop);
  t.deepEqual(await validate(srBytes), []);
  const report = checkVolumes(t, srBytes, segBytes, correctedSop, leg);
  for (const g of report.groups) t.is(g.trackingUid, aiReport.current.segments.find((s) => s.label === g.label)!.trackingUid, `${g.label}: same tracking UID as the AI SR`);
  const low = report.groups.find((g) => g.label === 'low')!;
  const aiLow = aiReport.current.segments.find((s) => s.label === 'low')!;
  t.true(Math.abs(low.volumeMl! - ((aiLow.voxels - removed) * segVoxelMm3(segBytes)) / 1000) < 1e-9, 'the corrected volume is the AI volume minus what the reader removed');
  t.is((await studyInstances(web, study)).filter((i) => i.sopClass === SOP.ENHANCED_SR).length, 1, 'one SR at the destination');

  // A later study of the same patient: the history has both, oldest first.
  const later = await legSeries({ description: 'T1 all three leg later', patientId: 'LONGITUDINAL-1' });
  t.is((await stowParts(node.url, later.series.files)).status, 200);
  const laterResult = await waitFor(async () => (await api<{ id: string }[]>(node.url, `/api/v1/results?study=${later.series.studyInstanceUID}`))[0], 60_000, 'the later result');
  const m = await waitFor(async () => api<{ current: { resultId: string }; history: { resultId: string; source: string }[] }>(node.url, `/api/v1/results/${laterResult.id}/measurements`).catch(() => undefined), 30_000, 'the later report');
  t.deepEqual(m.history.map((h) => h.resultId).sort(), [result.id, laterResult.id].sort());
  t.is(m.history.find((h) => h.resultId === result.id)!.source, 'corrected');
});

test.serial('a Dixon study (fat and water series on the segmented grid): the SR has each muscle’s fat fraction', async (t) => {
  const leg = await legSeries({ description: 'T1 dixon study leg', patientId: 'DIXON-1' });
  const study = leg.series.studyInstanceUID;
  const v = leg.geometry as Volume;
  // Fat = 20 %, water = 80 % of the signal everywhere: every muscle's fat fraction is 20 % (up to the stored values' rounding).
  const part = async (share: number, description: string) =>
    (await writeLegSeries({ ...v, sources: v.sources.map((src) => ({ ...src, sopInstanceUid: newUid() })), data: Float32Array.from(v.data, (x) => Math.max(0, x) * share) }, { studyInstanceUID: study, seriesInstanceUID: newUid(), frameOfReferenceUID: leg.series.frameOfReferenceUID, seriesDescription: description, patientId: 'DIXON-1' })).files;
  t.is((await stowParts(node.url, [...(await part(0.2, 'Dixon F')), ...(await part(0.8, 'Dixon W'))])).status, 200);
  t.is((await stowParts(node.url, leg.series.files)).status, 200);
  const { sr } = await held(leg, { seg: 0, sr: 1, sc: 0 });
  const bytes = await retrieveInstance(web, study, sr[0]!.series, sr[0]!.sop);
  t.deepEqual(await validate(bytes), []);
  const groups = readReport(bytes).groups;
  t.is(groups.length, 3);
  t.log(groups.map((g) => `${g.label}: fat fraction ${g.fatFractionPercent?.toFixed(3)} %`).join('; '));
  for (const g of groups) t.true(g.fatFractionPercent !== undefined && Math.abs(g.fatFractionPercent - 20) < 1, `${g.label}: fat fraction ${g.fatFractionPercent}`);
  // Its evidence names the fat and water series.
  const evidence = ((dataset(bytes)['0040A375']?.Value?.[0] as Record<string, { Value?: unknown[] }>)['00081115']?.Value ?? []) as unknown[];
  t.is(evidence.length, 4, 'SEG, source, fat and water series');
});

test.serial('late instances: the re-run’s SR replaces the old one at a destination with removeSuperseded, same tracking UIDs, volumes of the new SEG', async (t) => {
  const leg = await legSeries({ description: 'T1 rerun leg' });
  const study = leg.series.studyInstanceUID;
  t.is((await stowParts(node.url, leg.series.files.slice(0, 3))).status, 200);
  const first = await held(leg, { seg: 1, sr: 1, sc: 0 });
  const firstSr = await retrieveInstance(web, study, first.sr[0]!.series, first.sr[0]!.sop);
  t.is((await stowParts(node.url, leg.series.files.slice(3))).status, 200);
  const now = await waitFor(async () => {
    const all = await studyInstances(web, study);
    const seg = ofClass(all, SOP.SEG), sr = ofClass(all, SOP.ENHANCED_SR);
    return seg.length === 1 && sr.length === 1 && seg[0]!.sop !== first.seg[0]!.sop && sr[0]!.sop !== first.sr[0]!.sop ? { seg, sr } : undefined;
  }, 90_000, 'only the re-run’s SEG and SR in Orthanc');
  const srBytes = await retrieveInstance(web, study, now.sr[0]!.series, now.sr[0]!.sop);
  const segBytes = await retrieveInstance(web, study, now.seg[0]!.series, now.seg[0]!.sop);
  const report = checkVolumes(t, srBytes, segBytes, now.seg[0]!.sop, leg);
  const before = new Map(readReport(firstSr).groups.map((g) => [g.label, g]));
  for (const g of report.groups) {
    t.is(g.trackingUid, before.get(g.label)!.trackingUid, `${g.label}: tracking UID kept across the re-run`);
    t.true(g.volumeMl! >= before.get(g.label)!.volumeMl!, `${g.label}: six slices hold at least what three held`);
  }
  t.true(report.groups.some((g) => g.volumeMl! > before.get(g.label)!.volumeMl!), 'the re-run measured the new slices');
});

test.serial('unknown profiles are refused with the field: rules (400), destinations (400)', async (t) => {
  const bad = await fetch(`${node.url}/api/v1/rules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule('bad-profile', '*x*', [{ name: 'pacs-web', profiles: ['seg', 'rtstruct'] }])) });
  t.is(bad.status, 400);
  t.regex(((await bad.json()) as { message: string }).message, /destinations\[0\]\.profiles\[1\]/);
  const dup = await fetch(`${node.url}/api/v1/destinations/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', url: web, profiles: ['overlay'] }) });
  t.is(dup.status, 400);
  t.regex(((await dup.json()) as { message: string }).message, /profiles/);
});
