/**
 * What real archives send (issue 16): files whose File Meta Information names another SOP Instance
 * than their data set (PS3.10 §7.1), and requests mixing a conflicting re-used SOP Instance UID with
 * new instances (PS3.18 §10.5.3: per-instance answer, 202).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FailureReason } from '../../src/dicom/status.js';
import { newUid, syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import { minimalInstance } from '../helpers/dicom-fixtures.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { testNeeding } from '../helpers/declare.js';
import { stowParts } from '../helpers/stow-client.js';
import { retrieveInstance } from '../helpers/wado-get.js';

const test = testNeeding('dcmtk');
const run = promisify(execFile);
let node: NodeProcess;

test.before(async () => {
  node = await startNodeProcess({ configYaml: 'log:\n  level: info\n' });
});
test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
});

/** End of the meta group: 144 + (0002,0000)'s value, read from the bytes (PS3.10 Table 7.1-1). */
function datasetOffset(file: Buffer): number {
  if (file.readUInt32LE(132) !== 0x00000002 || file.toString('latin1', 136, 138) !== 'UL') throw new Error('no group length first');
  return 144 + file.readUInt32LE(140);
}

/** The same file with (0002,0003) changed to another UID of the same length (the data set untouched). */
function withWrongMetaUid(file: Buffer, sop: string): { bytes: Buffer; wrong: string } {
  const wrong = sop.slice(0, -1) + (sop.endsWith('1') ? '2' : '1');
  const meta = file.subarray(0, datasetOffset(file));
  const at = meta.indexOf(sop, 132, 'latin1');
  if (at < 0) throw new Error('SOP Instance UID not in the meta group');
  const bytes = Buffer.from(file);
  bytes.write(wrong, at, 'latin1');
  return { bytes, wrong };
}

async function dcmdumpTag(bytes: Buffer, tag: string): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'dafne-quirks-')), 'f.dcm');
  writeFileSync(file, bytes);
  const { stdout } = await run('dcmdump', ['+P', tag, file]);
  return /\[([^\]]*)\]/.exec(stdout)?.[1] ?? '';
}

for (const [what, rows] of [['in memory', 64], ['spilled to a temp file (over 4 MiB)', 1500]] as const) {
  test.serial(`a file whose (0002,0003) differs from SOPInstanceUID is stored with its meta rewritten from the data set (${what})`, async (t) => {
    const series = syntheticSeries({ count: 1, rows, columns: rows, patientName: 'Quirk^Patient' });
    const orig = series.instance(0);
    const { bytes, wrong } = withWrongMetaUid(orig.bytes, orig.sopInstanceUID);
    t.is(await dcmdumpTag(bytes, '0002,0003'), wrong, 'the fixture really disagrees');
    const logBefore = node.log().length;

    const r = await stowParts(node.url, [bytes]);
    t.is(r.status, 200, JSON.stringify(r.json));
    t.deepEqual(r.referenced, [orig.sopInstanceUID]);
    t.deepEqual(r.failed, []);

    const stored = await retrieveInstance(node.url, series.studyInstanceUID, series.seriesInstanceUID, orig.sopInstanceUID);
    t.truthy(stored);
    t.is(await dcmdumpTag(stored!, '0002,0003'), orig.sopInstanceUID);
    t.is(await dcmdumpTag(stored!, '0008,0018'), orig.sopInstanceUID);
    t.is(await dcmdumpTag(stored!, '0002,0010'), await dcmdumpTag(bytes, '0002,0010'), 'transfer syntax kept');
    // The data set is kept byte for byte; only group 0002 changed.
    t.true(stored!.subarray(datasetOffset(stored!)).equals(bytes.subarray(datasetOffset(bytes))));
    // Not stored under the wrong UID.
    t.is(await retrieveInstance(node.url, series.studyInstanceUID, series.seriesInstanceUID, wrong), undefined);

    const log = node.log().slice(logBefore);
    t.regex(log, /meta header rewritten from the data set/);
    t.false(log.includes('Quirk'), 'no patient name in the log');
    t.false(log.includes(orig.sopInstanceUID) || log.includes(wrong) || log.includes(series.studyInstanceUID), 'no instance or study UID in the log');

    // Sending the same file again is idempotent (same rewritten bytes).
    const again = await stowParts(node.url, [bytes]);
    t.is(again.status, 200);
    t.deepEqual(again.referenced, [orig.sopInstanceUID]);
  });
}

test.serial('one instance conflicting with a stored one and one new: 202, the conflict in FailedSOPSequence (0111), the new one stored, the stored bytes unchanged', async (t) => {
  const study = newUid();
  const series = newUid();
  const first = minimalInstance({ fill: 1, studyUid: study, seriesUid: series });
  t.is((await stowParts(node.url, [first.bytes])).status, 200);
  const impostor = minimalInstance({ fill: 2, sopInstanceUid: first.sopInstanceUid, studyUid: study, seriesUid: series });
  const fresh = minimalInstance({ fill: 3, studyUid: study, seriesUid: series });
  t.false(impostor.bytes.equals(first.bytes));

  const r = await stowParts(node.url, [impostor.bytes, fresh.bytes]);
  t.is(r.status, 202, JSON.stringify(r.json));
  t.deepEqual(r.referenced, [fresh.sopInstanceUid]);
  t.is(r.failed.length, 1);
  t.is(r.failed[0]!.uid, first.sopInstanceUid);
  t.is(r.failed[0]!.reason, FailureReason.duplicateSopInstance);
  t.regex(r.failed[0]!.text ?? '', /already stored.*kept/);
  // The failed item names the SOP Class too: ReferencedSOPClassUID (0008,1150), PS3.18 Table 10.5.3-1.
  const item = r.json['00081198']!.Value![0]!;
  t.deepEqual(item['00081150']?.Value, ['1.2.840.10008.5.1.4.1.1.4']);

  t.true((await retrieveInstance(node.url, study, series, first.sopInstanceUid))!.equals(first.bytes), 'keep first: the stored object is unchanged');
  t.true((await retrieveInstance(node.url, study, series, fresh.sopInstanceUid))!.equals(fresh.bytes));
});

test.serial('two different objects under one SOP Instance UID in one request: the first stored, the second failed (0111), 202', async (t) => {
  const study = newUid();
  const series = newUid();
  // Eight pairs in one request: blobs are written in parallel, so without keep-first ordering a
  // later duplicate can finish its write first and reach the index before the object it repeats.
  const pairs = Array.from({ length: 8 }, (_, k) => {
    const a = minimalInstance({ fill: 10 + 2 * k, studyUid: study, seriesUid: series });
    const b = minimalInstance({ fill: 11 + 2 * k, sopInstanceUid: a.sopInstanceUid, studyUid: study, seriesUid: series });
    return { a, b };
  });
  const r = await stowParts(node.url, pairs.flatMap(({ a, b }) => [a.bytes, b.bytes]));
  t.is(r.status, 202, JSON.stringify(r.json));
  t.deepEqual(r.referenced.sort(), pairs.map(({ a }) => a.sopInstanceUid).sort());
  t.deepEqual(r.failed.map((f) => f.reason), pairs.map(() => FailureReason.duplicateSopInstance));
  for (const { a } of pairs) t.true((await retrieveInstance(node.url, study, series, a.sopInstanceUid))!.equals(a.bytes), `object ${a.sopInstanceUid} is the first one sent`);
});
