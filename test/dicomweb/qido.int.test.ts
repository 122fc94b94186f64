/**
 * QIDO-RS over real HTTP against a node on each test database (PGlite and PostgreSQL): three studies
 * of two patients stored with STOW-RS, then every level, scope and matching key of
 * docs/conformance-qido.md, with exact expected answers.
 */
import test, { type ExecutionContext } from 'ava';
import type { Node } from '../../src/app.js';
import type { DicomJson } from '../../src/dicom/dicom-json.js';
import { MR_IMAGE_STORAGE, newUid, syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import { qido } from '../../src/dicomweb/qido.js';
import { createTestDatabase, type DatabaseKind } from '../helpers/databases.js';
import { forEachDatabase } from '../helpers/declare.js';
import { startNode, stowInstances } from '../helpers/node.js';

// ---- the data set --------------------------------------------------------------------------------

interface SeriesDef {
  key: string;
  modality: string;
  number: number;
  description: string;
  time: string;
  count: number;
}
interface StudyDef {
  key: string;
  patientId: string;
  patientName: string;
  date: string;
  time: string;
  accession: string;
  description: string;
  series: SeriesDef[];
}

const STUDIES: StudyDef[] = [
  {
    key: 's1',
    patientId: 'PAT-A',
    patientName: 'Doe^John',
    date: '20240110',
    time: '093000',
    accession: 'ACC-1',
    description: 'Brain MRI',
    series: [
      { key: '1a', modality: 'MR', number: 1, description: 'T1 axial', time: '093000', count: 3 },
      { key: '1b', modality: 'MR', number: 2, description: 'T2 sagittal', time: '094500', count: 2 },
    ],
  },
  {
    key: 's2',
    patientId: 'PAT-A',
    patientName: 'Doe^John',
    date: '20240315',
    time: '141500',
    accession: 'ACC-2',
    description: 'Abdomen CT',
    series: [
      { key: '2a', modality: 'CT', number: 1, description: 'Portal venous', time: '141500', count: 2 },
      { key: '2b', modality: 'SEG', number: 100, description: 'AI segmentation', time: '150000', count: 1 },
    ],
  },
  {
    key: 's3',
    patientId: 'PAT-B',
    patientName: 'Smith^Anna',
    date: '20231201',
    time: '080000',
    accession: 'ACC-3',
    description: 'Knee MRI',
    series: [{ key: '3a', modality: 'MR', number: 3, description: 'PD fat sat', time: '080000', count: 2 }],
  },
];

/** UIDs of what was stored: study keys → study UID, series keys → series UID and its SOP UIDs. */
interface Stored {
  study: Record<string, string>;
  series: Record<string, string>;
  sops: Record<string, string[]>;
}

/**
 * The generator stamps StudyTime / SeriesTime with the current time ("HHMMSS", 6 bytes); tests need
 * fixed times, so the value is overwritten in place in the explicit VR little endian encoding.
 */
function setTm(bytes: Buffer, group: number, element: number, value: string): Buffer {
  const header = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, 0x54, 0x4d, 6, 0]);
  const at = bytes.indexOf(header);
  if (at < 0 || value.length !== 6) throw new Error('TM element not found');
  const out = Buffer.from(bytes);
  out.write(value, at + header.length, 'latin1');
  return out;
}

function dataset(): { stored: Stored; files: Buffer[] } {
  const stored: Stored = { study: {}, series: {}, sops: {} };
  const files: Buffer[] = [];
  for (const st of STUDIES) {
    stored.study[st.key] = newUid();
    for (const se of st.series) {
      const s = syntheticSeries({
        count: se.count,
        rows: 16,
        columns: 16,
        studyInstanceUID: stored.study[st.key],
        patientId: st.patientId,
        patientName: st.patientName,
        studyDate: st.date,
        accessionNumber: st.accession,
        studyDescription: st.description,
        seriesNumber: se.number,
        seriesDescription: se.description,
        modality: se.modality,
      });
      stored.series[se.key] = s.seriesInstanceUID;
      stored.sops[se.key] = [...s.sopInstanceUIDs];
      for (const inst of s.instances) files.push(setTm(setTm(inst.bytes, 0x0008, 0x0030, st.time), 0x0008, 0x0031, se.time));
    }
  }
  return { stored, files };
}

// ---- a node per database ---------------------------------------------------------------------------

interface Fixture {
  kind: DatabaseKind;
  node: Node;
  base: string;
  stored: Stored;
  studyIds: Record<string, string>;
  close(): Promise<void>;
}

/** A node on a fresh database of `kind`, listening on loopback. */
async function startOn(kind: DatabaseKind): Promise<{ node: Node; base: string; close(): Promise<void> }> {
  const db = await createTestDatabase(kind);
  try {
    const n = await startNode({ config: { database: { url: db.url }, qido: { defaultLimit: 50, maxLimit: 100 } } });
    return {
      node: n.node,
      base: n.url,
      close: async () => {
        await n.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

async function stow(base: string, files: Buffer[]): Promise<void> {
  const r = await stowInstances(base, files);
  if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}: ${JSON.stringify(r.body)}`);
}

async function setup(kind: DatabaseKind): Promise<Fixture> {
  const s = await startOn(kind);
  try {
    const { stored, files } = dataset();
    await stow(s.base, files);
    // StudyID is derived by the generator from a series UID: read it back once.
    const all = (await get(s.base, '/dicomweb/studies')).json as DicomJson[];
    const studyIds: Record<string, string> = {};
    for (const r of all) {
      const key = Object.keys(stored.study).find((k) => stored.study[k] === value(r, UID.study))!;
      studyIds[key] = value(r, '00200010') as string;
    }
    return { kind, node: s.node, base: s.base, stored, studyIds, close: s.close };
  } catch (err) {
    await s.close();
    throw err;
  }
}

function lazy<T>(make: () => Promise<T>): { get(): Promise<T>; started(): boolean } {
  let p: Promise<T> | undefined;
  return { get: () => (p ??= make()), started: () => p !== undefined };
}

// ---- HTTP and DICOM JSON helpers -----------------------------------------------------------------

const UID = { study: '0020000D', series: '0020000E', sop: '00080018' } as const;

async function get(base: string, path: string): Promise<{ status: number; type: string | null; json: unknown }> {
  const res = await fetch(`${base}${path}`, { headers: { Accept: 'application/dicom+json' } });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? JSON.parse(text) : undefined };
}

const value = (ds: DicomJson, tag: string): unknown => ds[tag]?.Value?.[0];

// ---- the tests -------------------------------------------------------------------------------------

forEachDatabase((kind) => {
  const fx = lazy(() => setup(kind));
  test.after.always(async () => {
    if (fx.started()) await (await fx.get()).close();
  });
  const title = (what: string) => `${kind}: QIDO-RS ${what}`;

  /** GET a search and return its results (asserting 200 and a JSON array). */
  async function search(f: Fixture, path: string): Promise<DicomJson[]> {
    const r = await get(f.base, `/dicomweb${path}`);
    if (r.status !== 200 || !Array.isArray(r.json)) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as DicomJson[];
  }
  /** The keys (s1, 1a, ...) of the studies / series found, in answer order. */
  const keysOf = (f: Fixture, results: DicomJson[], what: 'study' | 'series'): string[] => {
    const map = f.stored[what];
    return results.map((r) => Object.keys(map).find((k) => map[k] === value(r, UID[what])) ?? '?');
  };
  const studies = async (f: Fixture, query = '') => keysOf(f, await search(f, `/studies${query ? `?${query}` : ''}`), 'study');
  const series = async (f: Fixture, path: string) => keysOf(f, await search(f, path), 'series');
  const sops = async (f: Fixture, path: string) => (await search(f, path)).map((r) => value(r, UID.sop) as string);
  const invalid = async (t: ExecutionContext, f: Fixture, path: string, code = 'invalid_query', mention?: RegExp) => {
    const r = await get(f.base, `/dicomweb${path}`);
    t.is(r.status, 400, path);
    t.is((r.json as { error: string }).error, code, path);
    if (mention) t.regex((r.json as { message: string }).message, mention, path);
  };

  test(title('study level: all studies newest first, with the attributes of Table 10.6.3-3'), async (t) => {
    const f = await fx.get();
    const r = await search(f, '/studies');
    t.deepEqual(keysOf(f, r, 'study'), ['s2', 's1', 's3']);
    const uid = f.stored.study.s1!;
    const s1 = r[1]!;
    t.regex(f.studyIds.s1!, /^S\d+$/);
    t.deepEqual(s1, {
      '00080020': { vr: 'DA', Value: ['20240110'] },
      '00080030': { vr: 'TM', Value: ['093000'] },
      '00080050': { vr: 'SH', Value: ['ACC-1'] },
      '00080056': { vr: 'CS', Value: ['ONLINE'] },
      '00080061': { vr: 'CS', Value: ['MR'] },
      '00080090': { vr: 'PN' },
      '00081030': { vr: 'LO', Value: ['Brain MRI'] },
      '00081190': { vr: 'UR', Value: [`${f.base}/dicomweb/studies/${uid}`] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John' }] },
      '00100020': { vr: 'LO', Value: ['PAT-A'] },
      '00100030': { vr: 'DA', Value: ['19700101'] },
      '00100040': { vr: 'CS', Value: ['O'] },
      '0020000D': { vr: 'UI', Value: [uid] },
      '00200010': { vr: 'SH', Value: [f.studyIds.s1] },
      '00201206': { vr: 'IS', Value: [2] },
      '00201208': { vr: 'IS', Value: [5] },
    });
    for (const ds of r) t.deepEqual(Object.keys(ds), Object.keys(ds).sort(), 'keys in ascending tag order');
    t.deepEqual(r[0]!['00080061'], { vr: 'CS', Value: ['CT', 'SEG'] });
    t.deepEqual([r[0]!, r[2]!].map((ds) => [value(ds, '00201206'), value(ds, '00201208')]), [[2, 3], [1, 2]]);
  });

  test(title('series level: in a study with Table 10.6.3-4 attributes, and across studies'), async (t) => {
    const f = await fx.get();
    const st = f.stored.study.s1!;
    const r = await search(f, `/studies/${st}/series`);
    t.deepEqual(keysOf(f, r, 'series'), ['1a', '1b']);
    const se = f.stored.series['1a']!;
    t.deepEqual(r[0], {
      '00080021': { vr: 'DA', Value: ['20240110'] },
      '00080031': { vr: 'TM', Value: ['093000'] },
      '00080056': { vr: 'CS', Value: ['ONLINE'] },
      '00080060': { vr: 'CS', Value: ['MR'] },
      '00081010': { vr: 'SH' },
      '0008103E': { vr: 'LO', Value: ['T1 axial'] },
      '00081190': { vr: 'UR', Value: [`${f.base}/dicomweb/studies/${st}/series/${se}`] },
      '00180015': { vr: 'CS', Value: ['ABDOMEN'] },
      '00181030': { vr: 'LO' },
      '0020000D': { vr: 'UI', Value: [st] },
      '0020000E': { vr: 'UI', Value: [se] },
      '00200011': { vr: 'IS', Value: [1] },
      '00201209': { vr: 'IS', Value: [3] },
    });
    t.deepEqual(Object.keys(r[0]!), Object.keys(r[0]!).sort());
    t.deepEqual(r[1]!['00201209'], { vr: 'IS', Value: [2] });
    // All series: grouped by study in study order, then by series number.
    t.deepEqual(await series(f, '/series'), ['2a', '2b', '1a', '1b', '3a']);
  });

  test(title('instance level: in a series with Table 10.6.3-5 attributes, in a study, everywhere'), async (t) => {
    const f = await fx.get();
    const st = f.stored.study.s1!;
    const se = f.stored.series['1a']!;
    const r = await search(f, `/studies/${st}/series/${se}/instances`);
    t.deepEqual(r.map((ds) => value(ds, UID.sop)), f.stored.sops['1a']);
    const sop = f.stored.sops['1a']![0]!;
    t.deepEqual(r[0], {
      '00080016': { vr: 'UI', Value: [MR_IMAGE_STORAGE] },
      '00080018': { vr: 'UI', Value: [sop] },
      '00080056': { vr: 'CS', Value: ['ONLINE'] },
      '00080060': { vr: 'CS', Value: ['MR'] },
      '00081190': { vr: 'UR', Value: [`${f.base}/dicomweb/studies/${st}/series/${se}/instances/${sop}`] },
      '0020000D': { vr: 'UI', Value: [st] },
      '0020000E': { vr: 'UI', Value: [se] },
      '00200013': { vr: 'IS', Value: [1] },
      '00280008': { vr: 'IS' },
      '00280010': { vr: 'US', Value: [16] },
      '00280011': { vr: 'US', Value: [16] },
    });
    t.deepEqual(r.map((ds) => value(ds, '00200013')), [1, 2, 3]);
    t.deepEqual(await sops(f, `/studies/${st}/instances`), [...f.stored.sops['1a']!, ...f.stored.sops['1b']!]);
    const everywhere = ['2a', '2b', '1a', '1b', '3a'].flatMap((k) => f.stored.sops[k]!);
    t.deepEqual(await sops(f, '/instances'), everywhere);
  });

  test(title('PatientID and PatientName: exact, case and wildcard matching'), async (t) => {
    const f = await fx.get();
    t.deepEqual(await studies(f, 'PatientID=PAT-A'), ['s2', 's1']);
    t.deepEqual(await studies(f, 'PatientID=pat-a'), [], 'PatientID is case-sensitive');
    t.deepEqual(await studies(f, 'PatientID=PAT-*'), ['s2', 's1', 's3']);
    t.deepEqual(await studies(f, 'PatientID=PAT-?'), ['s2', 's1', 's3']);
    t.deepEqual(await studies(f, 'PatientID=PAT'), [], 'no partial match without a wildcard');
    t.deepEqual(await studies(f, '00100020=PAT-B'), ['s3'], 'a tag works as a key');
    t.deepEqual(await studies(f, 'PatientName=doe%5Ejohn'), ['s2', 's1'], 'PN is case-insensitive');
    t.deepEqual(await studies(f, 'PatientName=*ANNA'), ['s3']);
    t.deepEqual(await studies(f, 'PatientName=Sm%3Fth*'), ['s3']);
    t.deepEqual(await studies(f, 'PatientName=Doe'), []);
    t.deepEqual(await studies(f, 'PatientName=Doe*'), ['s2', 's1']);
    t.deepEqual(await studies(f, 'PatientName=Nobody%5C*Anna'), ['s3'], 'multiple values: any of them');
    t.deepEqual(await studies(f, 'PatientName=*'), ['s2', 's1', 's3'], '"*" alone is universal matching');
  });

  test(title('StudyDate / SeriesDate: single dates and ranges; malformed dates are 400'), async (t) => {
    const f = await fx.get();
    t.deepEqual(await studies(f, 'StudyDate=20240110'), ['s1']);
    t.deepEqual(await studies(f, 'StudyDate=20240101-20241231'), ['s2', 's1']);
    t.deepEqual(await studies(f, 'StudyDate=20240110-20240315'), ['s2', 's1'], 'both ends inclusive');
    t.deepEqual(await studies(f, 'StudyDate=-20231231'), ['s3']);
    t.deepEqual(await studies(f, 'StudyDate=20240201-'), ['s2']);
    t.deepEqual(await studies(f, 'StudyDate=20200101'), []);
    t.deepEqual(await series(f, '/series?SeriesDate=20240315'), ['2a', '2b']);
    t.deepEqual(await series(f, '/series?SeriesDate=-20240110'), ['1a', '1b', '3a']);
    t.deepEqual(await studies(f, 'PatientBirthDate=19700101'), ['s2', 's1', 's3']);
    for (const bad of ['2024-01-10', '20240230', '2024011', '20240110-20240101', '-', 'today', '20240101-20240102-20240103']) {
      await invalid(t, f, `/studies?StudyDate=${bad}`, 'invalid_query', /StudyDate/);
    }
  });

  test(title('StudyTime / SeriesTime: prefix-precision values and ranges'), async (t) => {
    const f = await fx.get();
    t.deepEqual(await studies(f, 'StudyTime=093000'), ['s1']);
    t.deepEqual(await studies(f, 'StudyTime=0930'), ['s1']);
    t.deepEqual(await studies(f, 'StudyTime=09'), ['s1']);
    t.deepEqual(await studies(f, 'StudyTime=0800-0930'), ['s1', 's3']);
    t.deepEqual(await studies(f, 'StudyTime=-08'), ['s3'], 'upper bound at its own precision: until 08:59:59');
    t.deepEqual(await studies(f, 'StudyTime=14-'), ['s2']);
    t.deepEqual(await studies(f, 'StudyTime=093000.5-'), ['s2'], 'fractions compare too');
    t.deepEqual(await series(f, `/studies/${f.stored.study.s1}/series?SeriesTime=0940-1000`), ['1b']);
    for (const bad of ['2500', '9', '0960', '10-09', '093000.1234567']) await invalid(t, f, `/studies?StudyTime=${bad}`, 'invalid_query', /StudyTime/);
  });

  test(title('AccessionNumber, StudyDescription, StudyID, ReferringPhysicianName'), async (t) => {
    const f = await fx.get();
    t.deepEqual(await studies(f, 'AccessionNumber=ACC-2'), ['s2']);
    t.deepEqual(await studies(f, 'AccessionNumber=ACC-'), []);
    t.deepEqual(await studies(f, 'AccessionNumber=ACC-1%5CACC-3'), ['s1', 's3']);
    t.deepEqual(await studies(f, 'StudyDescription=Brain%20MRI'), ['s1']);
    t.deepEqual(await studies(f, 'StudyDescription=*MRI'), ['s1', 's3']);
    t.deepEqual(await studies(f, 'StudyDescription=Brain?MRI'), ['s1']);
    t.deepEqual(await studies(f, 'StudyDescription=Brain_MRI'), [], '"_" is not a wildcard');
    t.deepEqual(await studies(f, 'StudyDescription=Brain%25'), [], '"%" is not a wildcard');
    t.deepEqual(await studies(f, 'StudyDescription=brain%20mri'), [], 'LO matching is case-sensitive');
    t.deepEqual(await studies(f, `StudyID=${f.studyIds.s3}`), ['s3']);
    t.deepEqual(await studies(f, 'ReferringPhysicianName=Who*'), [], 'absent values match nothing');
    t.deepEqual(await studies(f, 'ReferringPhysicianName=Who*&emptyvaluematching=true'), ['s2', 's1', 's3'], '... unless empty value matching is asked for');
    t.deepEqual(await studies(f, 'AccessionNumber=ACC-9&emptyvaluematching=true'), [], 'present values still have to match');
    t.deepEqual(await studies(f, 'ReferringPhysicianName=Who*&emptyvaluematching=false'), []);
    const r = await search(f, '/studies?ReferringPhysicianName=');
    t.is(r.length, 3, 'an empty value is universal matching');
    t.deepEqual(r[0]!['00080090'], { vr: 'PN' });
  });

  test(title('ModalitiesInStudy and Modality, with lists'), async (t) => {
    const f = await fx.get();
    t.deepEqual(await studies(f, 'ModalitiesInStudy=CT'), ['s2']);
    t.deepEqual(await studies(f, 'ModalitiesInStudy=MR'), ['s1', 's3']);
    t.deepEqual(await studies(f, 'ModalitiesInStudy=MR,SEG'), ['s2', 's1', 's3']);
    t.deepEqual(await studies(f, 'ModalitiesInStudy=SEG%5CCT'), ['s2']);
    t.deepEqual(await studies(f, 'ModalitiesInStudy=US'), []);
    t.deepEqual(await studies(f, '00080061=S*'), ['s2']);
    t.deepEqual(await series(f, '/series?Modality=SEG'), ['2b']);
    t.deepEqual(await series(f, '/series?Modality=CT,SEG'), ['2a', '2b']);
    t.deepEqual(await series(f, '/series?Modality=mr'), [], 'CS is case-sensitive');
    t.deepEqual(await sops(f, '/instances?Modality=CT'), f.stored.sops['2a']);
    const r = await search(f, '/studies?ModalitiesInStudy=CT');
    t.deepEqual(r[0]!['00080061'], { vr: 'CS', Value: ['CT', 'SEG'] }, 'returns every modality of the study, not just the matched one');
  });

  test(title('UID list matching: StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, SOPClassUID'), async (t) => {
    const f = await fx.get();
    const { study, series: se, sops: sp } = f.stored;
    t.deepEqual(await studies(f, `StudyInstanceUID=${study.s1}`), ['s1']);
    t.deepEqual(await studies(f, `StudyInstanceUID=${study.s3},${study.s1}`), ['s1', 's3']);
    t.deepEqual(await studies(f, `StudyInstanceUID=${study.s3}%5C${study.s2}`), ['s2', 's3']);
    t.deepEqual(await studies(f, 'StudyInstanceUID=1.2.3.4'), []);
    t.deepEqual(await series(f, `/series?SeriesInstanceUID=${se['3a']},${se['1b']}`), ['1b', '3a']);
    t.deepEqual(await series(f, `/series?StudyInstanceUID=${study.s2}`), ['2a', '2b']);
    t.deepEqual(await sops(f, `/instances?SOPInstanceUID=${sp['3a']![1]},${sp['1a']![2]}`), [sp['1a']![2], sp['3a']![1]]);
    t.is((await sops(f, `/instances?SOPClassUID=${MR_IMAGE_STORAGE}`)).length, 10);
    t.deepEqual(await sops(f, '/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.2'), []);
    for (const bad of ['abc', '1.2.03', '1..2', `${study.s1},`, `${study.s1},x`, '1.2.3%20']) {
      await invalid(t, f, `/studies?StudyInstanceUID=${bad}`, 'invalid_query', /StudyInstanceUID/);
    }
    await invalid(t, f, '/instances?SOPInstanceUID=1.2.x', 'invalid_query', /SOPInstanceUID/);
  });

  test(title('SeriesDescription, SeriesNumber, InstanceNumber'), async (t) => {
    const f = await fx.get();
    const st = f.stored.study.s1!;
    t.deepEqual(await series(f, '/series?SeriesDescription=T*'), ['1a', '1b']);
    t.deepEqual(await series(f, '/series?SeriesDescription=*sagittal'), ['1b']);
    t.deepEqual(await series(f, '/series?SeriesDescription=t1*'), [], 'case-sensitive');
    t.deepEqual(await series(f, '/series?SeriesDescription=AI%20segmentation'), ['2b']);
    t.deepEqual(await series(f, '/series?SeriesNumber=100'), ['2b']);
    t.deepEqual(await series(f, '/series?SeriesNumber=1'), ['2a', '1a']);
    const two = await search(f, `/studies/${st}/instances?InstanceNumber=2`);
    t.deepEqual(two.map((r) => value(r, UID.sop)), [f.stored.sops['1a']![1], f.stored.sops['1b']![1]]);
    await invalid(t, f, '/series?SeriesNumber=one', 'invalid_query', /SeriesNumber/);
    await invalid(t, f, '/series?SeriesNumber=1.5', 'invalid_query', /SeriesNumber/);
    await invalid(t, f, '/instances?InstanceNumber=99999999999', 'invalid_query', /InstanceNumber/);
  });

  test(title('nested scopes restrict to the study / series in the path'), async (t) => {
    const f = await fx.get();
    const { study, series: se } = f.stored;
    t.deepEqual(await series(f, `/studies/${study.s2}/series?Modality=SEG`), ['2b']);
    t.deepEqual(await series(f, `/studies/${study.s1}/series?Modality=SEG`), []);
    t.deepEqual(await sops(f, `/studies/${study.s1}/series/${se['2a']}/instances`), [], 'a series of another study');
    t.deepEqual(await sops(f, `/studies/${study.s2}/series/${se['2b']}/instances`), f.stored.sops['2b']);
    t.deepEqual(await series(f, `/studies/${study.s1}/series?StudyInstanceUID=${study.s2}`), [], 'path and query both apply');
    t.deepEqual(await sops(f, `/studies/${newUid()}/instances`), [], 'an unknown study: no matches');
  });

  test(title('parent-level keys match at lower levels and are returned; lower-level keys cannot match higher'), async (t) => {
    const f = await fx.get();
    const r = await search(f, '/series?PatientID=PAT-B');
    t.deepEqual(keysOf(f, r, 'series'), ['3a']);
    t.deepEqual(r[0]!['00100020'], { vr: 'LO', Value: ['PAT-B'] });
    const i = await search(f, '/instances?StudyDate=20231201&SeriesDescription=PD*&PatientName=');
    t.deepEqual(i.map((x) => value(x, UID.sop)), f.stored.sops['3a']);
    t.deepEqual(i[0]!['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] }, 'an empty key is a return key');
    t.deepEqual(i[0]!['0008103E'], { vr: 'LO', Value: ['PD fat sat'] });
    await invalid(t, f, '/studies?Modality=MR', 'invalid_query', /Modality.*series-level/);
    await invalid(t, f, '/series?SOPInstanceUID=1.2.3', 'invalid_query', /SOPInstanceUID/);
    t.is((await search(f, '/studies?Modality=')).length, 3, 'an empty lower-level key is ignored');
  });

  test(title('includefield: keywords, tags, lists, unknown attributes and all'), async (t) => {
    const f = await fx.get();
    const st = f.stored.study.s3!;
    const [s] = await search(f, `/studies/${st}/series?includefield=00081030,PatientName&includefield=PatientAge`);
    t.deepEqual(s!['00081030'], { vr: 'LO', Value: ['Knee MRI'] });
    t.deepEqual(s!['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] });
    const [study] = await search(f, `/studies?StudyInstanceUID=${st}&includefield=SeriesDescription,00080060,IssuerOfPatientID`);
    t.false('0008103E' in study! || '00080060' in study!, 'series attributes are not returned at study level');
    t.deepEqual(study!['00100021'], { vr: 'LO' });

    const [all] = await search(f, `/studies/${st}/series?includefield=all`);
    t.deepEqual(Object.keys(all!), [
      '00080020', '00080021', '00080030', '00080031', '00080050', '00080056', '00080060', '00080061', '00080090', '00081010', '00081030', '0008103E', '00081190',
      '00100010', '00100020', '00100021', '00100030', '00100040', '00180015', '00181030', '0020000D', '0020000E', '00200010', '00200011', '00201206', '00201208', '00201209',
    ]);
    t.deepEqual([all!['00201206'], all!['00201208'], all!['00201209']], [{ vr: 'IS', Value: [1] }, { vr: 'IS', Value: [2] }, { vr: 'IS', Value: [2] }]);
    t.deepEqual(all!['00080061'], { vr: 'CS', Value: ['MR'] });
    const [inst] = await search(f, `/studies/${st}/instances?includefield=all&limit=1`);
    t.is(Object.keys(inst!).length, 34, 'every attribute of the catalog');
    t.deepEqual(inst!['00083002'], { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] });
    t.deepEqual(inst!['00100010'], { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] });
    t.deepEqual(inst!['00081190'], { vr: 'UR', Value: [`${f.base}/dicomweb/studies/${st}/series/${f.stored.series['3a']}/instances/${f.stored.sops['3a']![0]}`] });
    await invalid(t, f, '/studies?includefield=Patient-Name', 'invalid_query', /includefield/);
  });

  test(title('limit and offset page through a deterministic order'), async (t) => {
    const f = await fx.get();
    const every = await sops(f, '/instances');
    t.is(every.length, 10);
    t.deepEqual(await sops(f, '/instances?limit=4'), every.slice(0, 4));
    t.deepEqual(await sops(f, '/instances?limit=4&offset=4'), every.slice(4, 8));
    t.deepEqual(await sops(f, '/instances?offset=8&limit=4'), every.slice(8));
    t.deepEqual(await sops(f, '/instances?offset=10'), []);
    t.deepEqual(await sops(f, '/instances?limit=0'), []);
    t.deepEqual(await studies(f, 'limit=1&offset=1'), ['s1']);
    t.deepEqual(await studies(f, 'limit=1&offset=1&fuzzymatching=false'), ['s1']);
    t.deepEqual(await studies(f, 'limit=2&fuzzymatching=true'), ['s2', 's1'], 'fuzzymatching=true is accepted and ignored');
    t.deepEqual(await studies(f, 'limit=1000'), ['s2', 's1', 's3'], 'limit above the maximum is clamped');
  });

  test(title('the default limit and the maximum apply (domain function)'), async (t) => {
    const f = await fx.get();
    const run = (q: string, defaultLimit: number, maxLimit: number) =>
      qido(f.node.archive, 'instances', {}, new URLSearchParams(q), { defaultLimit, maxLimit, wadoRoot: 'http://x/dicomweb' });
    t.is((await run('', 3, 5)).length, 3);
    t.is((await run('limit=100', 3, 5)).length, 5);
    t.is((await run('limit=4&offset=8', 3, 5)).length, 2);
    const scoped = await qido(f.node.archive, 'series', { studyUid: f.stored.study.s2 }, new URLSearchParams(), { defaultLimit: 10, maxLimit: 10, wadoRoot: 'http://x/dicomweb' });
    t.deepEqual(scoped.map((r) => value(r, '00081190')), ['2a', '2b'].map((k) => `http://x/dicomweb/studies/${f.stored.study.s2}/series/${f.stored.series[k]}`));
  });

  test(title('invalid queries answer 400 invalid_query naming the problem'), async (t) => {
    const f = await fx.get();
    await invalid(t, f, '/studies?Foo=1', 'invalid_query', /Foo/);
    await invalid(t, f, '/studies?00191010=x', 'invalid_query', /00191010/);
    await invalid(t, f, '/studies?00100020.00100021=x', 'invalid_query', /00100020\.00100021/);
    await invalid(t, f, '/studies?NumberOfStudyRelatedSeries=2', 'invalid_query', /NumberOfStudyRelatedSeries/);
    await invalid(t, f, '/studies?PatientID=A&PatientID=B', 'invalid_query', /more than once/);
    await invalid(t, f, '/studies?limit=abc', 'invalid_query', /limit/);
    await invalid(t, f, '/studies?limit=-1', 'invalid_query', /limit/);
    await invalid(t, f, '/studies?offset=1.5', 'invalid_query', /offset/);
    await invalid(t, f, '/studies?fuzzymatching=maybe', 'invalid_query', /fuzzymatching/);
    await invalid(t, f, '/studies?emptyvaluematching=1', 'invalid_query', /emptyvaluematching/);
    await invalid(t, f, '/studies?PatientName=Doe%5C', 'invalid_query', /PatientName/);
  });

  test(title('an invalid UID in the path is 400 invalid_uid'), async (t) => {
    const f = await fx.get();
    await invalid(t, f, '/studies/not-a-uid/series', 'invalid_uid');
    await invalid(t, f, `/studies/${f.stored.study.s1}/series/1.02/instances`, 'invalid_uid');
    await invalid(t, f, '/studies/1.2.3..4/instances', 'invalid_uid');
  });

  test(title('no matches answer 200 with an empty DICOM JSON array'), async (t) => {
    const f = await fx.get();
    for (const path of ['/studies?PatientID=nobody', '/series?Modality=XA', `/studies/${f.stored.study.s3}/series/${f.stored.series['1a']}/instances`]) {
      const r = await get(f.base, `/dicomweb${path}`);
      t.is(r.status, 200, path);
      t.regex(r.type ?? '', /^application\/dicom\+json/);
      t.deepEqual(r.json, []);
    }
  });
});

// ---- scale: 10,000 instances -------------------------------------------------------------------

forEachDatabase((kind) => {
  test.serial(`${kind}: QIDO-RS stays fast over 10,000 instances (one query per request)`, async (t) => {
    const s = await startOn(kind);
    try {
      // 500 studies × 4 series × 5 instances, written straight into the index (STOW-RS is not under test).
      await s.node.db.transaction(async (m) => {
        await m.query(`INSERT INTO patient (patient_key, patient_id, patient_name) SELECT '\\P' || g, 'P' || g, 'Name' || g || '^Given' FROM generate_series(1, 100) g`);
        await m.query(
          `INSERT INTO study (study_instance_uid, patient_fk, study_date, study_time, accession_number, study_description)
           SELECT '1.2.826.0.1.1.' || g, p.id, to_char(date '2020-01-01' + g, 'YYYYMMDD'), '120000', 'A' || g, 'Study ' || g
           FROM generate_series(1, 500) g JOIN patient p ON p.patient_id = 'P' || (1 + g % 100)`,
        );
        await m.query(
          `INSERT INTO series (series_instance_uid, study_fk, modality, series_number, series_description)
           SELECT st.study_instance_uid || '.' || n, st.id, (ARRAY['MR','CT','SEG','PT'])[n], n, 'Series ' || n
           FROM study st CROSS JOIN generate_series(1, 4) n`,
        );
        await m.query(
          `INSERT INTO instance (sop_instance_uid, series_fk, sop_class_uid, instance_number, rows, columns, transfer_syntax_uid, sha256, size)
           SELECT se.series_instance_uid || '.' || k, se.id, '${MR_IMAGE_STORAGE}', k, 256, 256, '1.2.840.10008.1.2.1', md5(se.series_instance_uid || k), 1000
           FROM series se CROSS JOIN generate_series(1, 5) k`,
        );
      });
      // Results only: QIDO-RS speed belongs to a benchmark, not to a timed assertion.
      const timed = async (path: string): Promise<DicomJson[]> => {
        const r = await get(s.base, `/dicomweb${path}`);
        t.is(r.status, 200, path);
        return r.json as DicomJson[];
      };
      const st = await timed('/studies?limit=100');
      t.is(st.length, 100);
      t.deepEqual([value(st[0]!, '00201206'), value(st[0]!, '00201208'), value(st[0]!, '00080020')], [4, 20, '20210515']);
      t.deepEqual(st[0]!['00080061'], { vr: 'CS', Value: ['CT', 'MR', 'PT', 'SEG'] });
      t.is((await timed('/studies?PatientName=name1*&includefield=all&limit=100')).length, 60, 'Name1, Name10..Name100: 12 patients × 5 studies');
      t.is((await timed('/studies?ModalitiesInStudy=SEG&StudyDate=20200101-20200131')).length, 30);
      t.is((await timed('/series?Modality=MR&limit=100')).length, 100);
      t.is((await timed('/instances?limit=100&offset=9950')).length, 50);
      t.is((await timed('/studies/1.2.826.0.1.1.250/instances')).length, 20);
      t.is((await timed('/instances?SeriesDescription=Series%203&InstanceNumber=5&limit=100')).length, 100);
    } finally {
      await s.close();
    }
  });
});
