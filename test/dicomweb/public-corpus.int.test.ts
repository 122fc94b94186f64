/**
 * The public corpus a new user tries first (issue 16): pydicom's own test files, from Debian's
 * python3-pydicom (made by other tools: GDCM, DCMTK, dcm4che, vendors). Each file is sent by
 * STOW-RS in its own request, in name order. An independent judge — DCMTK's dcmdump and the Part 10
 * rules (PS3.10 §7.1: preamble, "DICM", File Meta Information with a Transfer Syntax) — says which
 * files are valid storable instances. Must hold: every valid file is stored (its data set retrievable
 * byte for byte by WADO-RS), except a file whose SOP Instance UID an earlier file of the corpus
 * already used with other content, which gets 0111 under the keep-first policy (conformance.md);
 * every other file is refused with a failure reason and a message, and nothing stored changes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FailureReason } from '../../src/dicom/status.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { testNeeding } from '../helpers/declare.js';
import { stowParts } from '../helpers/stow-client.js';
import { DEBIAN_PYTHON } from '../helpers/validators.js';
import { retrieveInstance } from '../helpers/wado-get.js';

const test = testNeeding('dcmtk', 'pydicom');
const run = promisify(execFile);
let node: NodeProcess;

test.before(async () => {
  node = await startNodeProcess({ configYaml: 'log:\n  level: warn\n' });
});
test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
});

function corpusDir(): string {
  const dataDir = execFileSync(DEBIAN_PYTHON, ['-c', 'import os, pydicom.data; print(os.path.dirname(pydicom.data.__file__))'], { encoding: 'utf8' }).trim();
  return join(dataDir, 'test_files');
}

interface Judged {
  name: string;
  bytes: Buffer;
  valid: boolean;
  why: string;
  uids?: { study: string; series: string; sop: string };
}

/** dcmdump's verdict (no "E:" line, exit 0) plus the Part 10 wrapper STOW-RS requires (PS3.18 §10.5.1.1). */
async function judge(dir: string, name: string): Promise<Judged> {
  const file = join(dir, name);
  const bytes = readFileSync(file);
  if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') return { name, bytes, valid: false, why: 'no Part 10 preamble and "DICM"' };
  let out: { stdout: string; stderr: string };
  try {
    out = await run('dcmdump', ['-Un', file], { maxBuffer: 64 << 20 }); // top-level lines are not indented
  } catch (err) {
    return { name, bytes, valid: false, why: `dcmdump failed: ${String((err as { stderr?: string }).stderr ?? err).split('\n')[0]}` };
  }
  if (/^E:/m.test(out.stderr)) return { name, bytes, valid: false, why: `dcmdump: ${out.stderr.split('\n').find((l) => l.startsWith('E:'))}` };
  const value = (tag: string) => new RegExp(`^\\(${tag}\\) UI \\[([^\\]]*)\\]`, 'm').exec(out.stdout)?.[1];
  const [ts, study, series, sop] = ['0002,0010', '0020,000d', '0020,000e', '0008,0018'].map(value);
  if (!ts) return { name, bytes, valid: false, why: 'no Transfer Syntax UID in the File Meta Information' };
  if (!sop || !study || !series) return { name, bytes, valid: false, why: 'not a storable instance: SOP Instance, Study or Series Instance UID missing' };
  return { name, bytes, valid: true, why: 'valid', uids: { study, series, sop } };
}

/** The data set after group 0002 (explicit VR little endian elements from byte 132, PS3.10 §7.1). */
function dataSet(file: Buffer): Buffer {
  let p = 132;
  while (p + 8 <= file.length && file.readUInt16LE(p) === 0x0002) {
    const vr = file.toString('latin1', p + 4, p + 6);
    p += ['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR'].includes(vr) ? 12 + file.readUInt32LE(p + 8) : 8 + file.readUInt16LE(p + 6);
  }
  return file.subarray(p);
}

test.serial('every valid file of a public corpus is stored; a re-used UID with other content gets 0111; the rest are refused with a reason', async (t) => {
  const dir = corpusDir();
  const names = readdirSync(dir).filter((n) => n.endsWith('.dcm')).sort();
  t.true(names.length >= 60, `the corpus is there: ${names.length} files in ${dir}`);
  const judged: Judged[] = [];
  for (const name of names) judged.push(await judge(dir, name));

  const firstBySop = new Map<string, Judged>();
  const counts = { valid: 0, stored: 0, conflicting: 0, refused: 0 };
  for (const f of judged) {
    const r = await stowParts(node.url, [f.bytes]);
    const earlier = f.uids ? firstBySop.get(f.uids.sop) : undefined;
    if (f.valid) counts.valid++;
    if (f.valid && !earlier) {
      t.is(r.status, 200, `${f.name}: ${JSON.stringify(r.failed)}`);
      t.deepEqual(r.referenced, [f.uids!.sop], f.name);
      firstBySop.set(f.uids!.sop, f);
      counts.stored++;
    } else if (f.valid && earlier) {
      // Same SOP Instance UID as an earlier file of the corpus: stored again if the bytes are the
      // same (idempotent), else refused with 0111 and the first one kept.
      if (earlier.bytes.equals(f.bytes)) {
        t.deepEqual(r.referenced, [f.uids!.sop], f.name);
        counts.stored++;
      } else {
        t.like(r.failed[0], { uid: f.uids!.sop, reason: FailureReason.duplicateSopInstance }, `${f.name} re-uses ${earlier.name}'s UID`);
        counts.conflicting++;
      }
    } else {
      t.is(r.referenced.length, 0, `${f.name} (${f.why}) must not be stored`);
      t.is(r.failed.length, 1, f.name);
      t.true(([FailureReason.cannotUnderstand, FailureReason.dataSetMismatch, FailureReason.duplicateSopInstance] as number[]).includes(r.failed[0]!.reason), `${f.name}: ${r.failed[0]!.reason}`);
      t.truthy(r.failed[0]!.text, `${f.name}: the failure says why`);
      counts.refused++;
    }
  }
  // Each first-stored instance is still the one that was sent (no later file replaced it).
  for (const f of firstBySop.values()) {
    const back = await retrieveInstance(node.url, f.uids!.study, f.uids!.series, f.uids!.sop);
    t.truthy(back, `${f.name} retrievable`);
    t.true(dataSet(back!).equals(dataSet(f.bytes)), `${f.name}: the data set comes back byte for byte`);
  }
  t.is(counts.stored + counts.conflicting, counts.valid, 'every valid file was stored or is a conflicting re-use of a stored UID');
  t.log(`${names.length} files: ${counts.valid} valid (${counts.stored} stored, ${counts.conflicting} re-use an earlier file's UID with other content: 0111), ${counts.refused} invalid refused`);
  t.log(judged.filter((f) => !f.valid).map((f) => `${f.name}: ${f.why}`).join('\n'));
});
