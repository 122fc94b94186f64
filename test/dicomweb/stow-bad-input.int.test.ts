import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import test from 'ava';
import { FailureReason } from '../../src/dicom/status.js';
import { syntheticSeries } from '../../src/dicom/synthetic-mr.js';
import { minimalInstance } from '../helpers/dicom-fixtures.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { boundaryFor, multipartBody, stowParts } from '../helpers/stow-client.js';

const run = promisify(execFile);
let node: NodeProcess;
const baseline = syntheticSeries({ count: 5, rows: 64, columns: 64 });

test.before(async () => {
  node = await startNodeProcess({ configYaml: 'stow:\n  maxInstanceBytes: 200000\n  maxRequestBytes: 50000000\nlog:\n  level: info\n' });
  const r = await stowParts(node.url, [...baseline.instances].map((i) => i.bytes));
  if (r.status !== 200) throw new Error(`baseline store failed: ${r.status}`);
});

test.after.always(async () => {
  await node?.stop();
  node?.cleanup();
});

/** fsck over the node's data directory, run while the node is stopped (the embedded DB is single-process). */
async function fsck(n: NodeProcess): Promise<{ ok: boolean; instances: number; orphanBlobs: string[]; missingBlobs: string[]; damagedBlobs: string[] }> {
  const { stdout } = await run(process.execPath, [`${REPO_ROOT}/bin/dafne-node.js`, 'fsck', '--deep', '--json'], { env: { ...process.env, DAFNE_DATA_DIR: n.dataDir, LOG_LEVEL: 'silent' } }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  return JSON.parse(stdout);
}

const valid = () => minimalInstance();

test.serial('a truncated object fails with C000 and the others in the request are stored (202)', async (t) => {
  const good = valid();
  const cut = valid();
  const r = await stowParts(node.url, [good.bytes, cut.bytes.subarray(0, cut.bytes.length - 10)]);
  t.is(r.status, 202);
  t.deepEqual(r.referenced, [good.sopInstanceUid]);
  t.is(r.failed.length, 1);
  t.is(r.failed[0]!.reason, FailureReason.cannotUnderstand);
  t.regex(r.failed[0]!.text ?? '', /truncated/);
});

test.serial('bytes that are not DICOM at all fail with C000; nothing stored answers 400', async (t) => {
  const r = await stowParts(node.url, [Buffer.from('this is a text file, not a DICOM object'.repeat(10))]);
  t.is(r.status, 400);
  t.is(r.failed[0]!.reason, FailureReason.cannotUnderstand);
  t.regex(r.failed[0]!.text ?? '', /not a DICOM Part 10 file/);
});

test.serial('a part with the wrong content type is refused, the rest stored', async (t) => {
  const good = valid();
  const r = await stowParts(node.url, [{ bytes: valid().bytes, contentType: 'image/jpeg' }, good.bytes]);
  t.is(r.status, 202);
  t.deepEqual(r.referenced, [good.sopInstanceUid]);
  t.regex(r.failed[0]!.text ?? '', /image\/jpeg/);
});

test.serial('missing SOP Instance UID fails with A900', async (t) => {
  const r = await stowParts(node.url, [minimalInstance({ sopInstanceUid: null }).bytes]);
  t.is(r.status, 400);
  t.is(r.failed[0]!.reason, FailureReason.dataSetMismatch);
  t.regex(r.failed[0]!.text ?? '', /SOPInstanceUID \(0008,0018\) is missing/);
});

test.serial('a UID with path characters is refused before it reaches a path or a query', async (t) => {
  const r = await stowParts(node.url, [minimalInstance({ sopInstanceUid: '1.2.3/../../../etc/passwd' }).bytes]);
  t.is(r.status, 400);
  t.is(r.failed[0]!.reason, FailureReason.dataSetMismatch);
  t.regex(r.failed[0]!.text ?? '', /not a valid UID/);
  const res = await fetch(`${node.url}/dicomweb/studies/1.2.3%2F..%2F..%2Fetc`, { method: 'POST', headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=x' }, body: '--x--' });
  t.is(res.status, 400);
  t.is(((await res.json()) as { error: string }).error, 'invalid_uid');
});

test.serial('study UID mismatch with the URL: 409 when nothing matches, 202 when some do', async (t) => {
  const study = '1.2.826.0.1.3680043.8.498.1';
  const other = valid();
  const r = await stowParts(node.url, [other.bytes], { study });
  t.is(r.status, 409);
  t.is(r.failed[0]!.reason, FailureReason.dataSetMismatch);
  const mine = minimalInstance({ studyUid: study });
  const mixed = await stowParts(node.url, [mine.bytes, valid().bytes], { study });
  t.is(mixed.status, 202);
  t.deepEqual(mixed.referenced, [mine.sopInstanceUid]);
});

test.serial('an object over the instance size limit fails with A700; alone it answers 413', async (t) => {
  const big = syntheticSeries({ count: 1, rows: 512, columns: 512 }).instance(0).bytes; // ≈ 520 KB > 200 KB
  const r = await stowParts(node.url, [big]);
  t.is(r.status, 413);
  t.is(r.failed[0]!.reason, FailureReason.outOfResources);
  const good = valid();
  const mixed = await stowParts(node.url, [big, good.bytes]);
  t.is(mixed.status, 202);
  t.deepEqual(mixed.referenced, [good.sopInstanceUid]);
});

test.serial('a request over the request size limit answers 413 (Content-Length known up front)', async (t) => {
  // Only the headers are sent: the node must answer from Content-Length alone, before any body.
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${node.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundaryFor()}`, 'Content-Length': 60_000_000 } });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.flushHeaders();
  });
  t.is(answer.status, 413);
  t.is((JSON.parse(answer.body) as { error: string }).error, 'payload_too_large');
});

test.serial('wrong media types: 415', async (t) => {
  for (const ct of ['application/dicom', 'multipart/related; type="application/dicom+json"; boundary=x', 'text/plain']) {
    const res = await fetch(`${node.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': ct }, body: 'x' });
    t.is(res.status, 415, ct);
  }
});

test.serial('the same object again succeeds; a different object under a stored UID is refused (0111) and the stored one kept', async (t) => {
  const first = minimalInstance({ fill: 1 });
  t.is((await stowParts(node.url, [first.bytes])).status, 200);
  t.is((await stowParts(node.url, [first.bytes])).status, 200);
  const impostor = minimalInstance({ fill: 2, sopInstanceUid: first.sopInstanceUid });
  const r = await stowParts(node.url, [impostor.bytes]);
  t.is(r.status, 400);
  t.is(r.failed[0]!.reason, FailureReason.duplicateSopInstance);
});

test.serial('a client that disconnects mid-body: the node keeps serving and keeps what arrived whole', async (t) => {
  const series = syntheticSeries({ count: 20, rows: 64, columns: 64 });
  const boundary = boundaryFor();
  const body = multipartBody([...series.instances].map((i) => i.bytes), boundary);
  await new Promise<void>((resolve) => {
    const req = request(`${node.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, 'Content-Length': body.length } });
    req.on('error', () => resolve());
    req.write(body.subarray(0, Math.floor(body.length * 0.6)), () => setTimeout(() => (req.destroy(), resolve()), 200));
  });
  // Still serving; a new store works.
  t.is((await stowParts(node.url, [valid().bytes])).status, 200);
  t.true((await fetch(`${node.url}/healthz`)).ok);
});

test.serial('SIGKILL during a large STOW: after restart the index and the blob store agree and nothing stored before is lost', async (t) => {
  const before = await fsckAround(node);
  t.true(before.ok, JSON.stringify(before));
  const series = syntheticSeries({ count: 400, rows: 128, columns: 128 });
  const boundary = boundaryFor();
  const body = multipartBody([...series.instances].map((i) => i.bytes), boundary);
  let sent = 0;
  const killed = new Promise<void>((resolve) => {
    const req = request(`${node.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, 'Content-Length': body.length } });
    req.on('error', () => resolve());
    const pump = (): void => {
      while (sent < body.length) {
        const chunk = body.subarray(sent, sent + 65536);
        sent += chunk.length;
        if (sent > body.length / 2) {
          void node.kill().then(() => resolve());
          return;
        }
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
  await killed;
  const after = await fsck(node);
  t.deepEqual({ ok: after.ok, missing: after.missingBlobs, damaged: after.damagedBlobs, orphans: after.orphanBlobs }, { ok: true, missing: [], damaged: [], orphans: [] });
  t.true(after.instances >= before.instances, `instances ${before.instances} → ${after.instances}`);
  await node.restart();
  // The baseline series is still complete and readable (re-sending it is "already stored").
  const again = await stowParts(node.url, [...baseline.instances].map((i) => i.bytes));
  t.is(again.status, 200);
  t.is(again.referenced.length, 5);
});

/** fsck needs the node stopped; restart it afterwards. */
async function fsckAround(n: NodeProcess) {
  await n.stop();
  const r = await fsck(n);
  await n.restart();
  return r;
}
