import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { destinationSchema } from '../../src/export/destination-store.js';
import { removeInstance } from '../../src/export/remove-instance.js';

/**
 * removeInstance against a loopback stub (Orthanc itself: test/routing/supersede.int.test.ts): the
 * request it makes for each `removeSuperseded` kind, and how answers map to removed / retry /
 * refused (docs/routing.md, "Destinations and delivery").
 */
let server: Server;
let answer = 204;
const seen: { method: string; url: string; auth?: string; body: string }[] = [];

test.before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      if (req.url === '/orthanc/tools/lookup') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(body === '1.2.3.9' ? '[]' : JSON.stringify([{ ID: 'abc-123', Type: 'Instance', Path: '/instances/abc-123' }]));
        return;
      }
      res.writeHead(answer).end(answer >= 400 ? 'no' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
test.after.always(() => new Promise<void>((r) => server.close(() => r())));

const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const target = { studyInstanceUid: '1.2.1', seriesInstanceUid: '1.2.2', sopInstanceUid: '1.2.3' };

test.serial('dicomweb: DELETE on the instance resource with the destination auth; 2xx and 404 are done, 5xx retried, 405 refused', async (t) => {
  const d = destinationSchema.parse({ name: 'w', url: `${base()}/dicomweb/`, auth: { type: 'bearer', token: 'tok' }, removeSuperseded: { via: 'dicomweb' }, timeoutSeconds: 2 });
  seen.length = 0;
  answer = 204;
  t.is((await removeInstance(d, target)).kind, 'removed');
  t.deepEqual(seen[0], { method: 'DELETE', url: '/dicomweb/studies/1.2.1/series/1.2.2/instances/1.2.3', auth: 'Bearer tok', body: '' });
  answer = 404;
  t.is((await removeInstance(d, target)).kind, 'removed');
  answer = 503;
  t.is((await removeInstance(d, target)).kind, 'retry');
  answer = 405;
  const refused = await removeInstance(d, target);
  t.is(refused.kind, 'refused');
  t.regex(refused.kind === 'refused' ? refused.reason : '', /DICOMweb DELETE: HTTP 405/);
});

test.serial('orthanc: lookup by SOP Instance UID, then DELETE /instances/{id}; not found is done; a network error is retried', async (t) => {
  const d = destinationSchema.parse({ name: 'o', url: 'http://unused/dicom-web', removeSuperseded: { via: 'orthanc', url: `${base()}/orthanc`, auth: { type: 'basic', username: 'u', password: 'p' } }, timeoutSeconds: 2 });
  seen.length = 0;
  answer = 200;
  const out = await removeInstance(d, target);
  t.is(out.kind, 'removed');
  t.deepEqual(seen.map((s) => [s.method, s.url, s.body]), [['POST', '/orthanc/tools/lookup', '1.2.3'], ['DELETE', '/orthanc/instances/abc-123', '']]);
  t.is(seen[0]!.auth, `Basic ${Buffer.from('u:p').toString('base64')}`);
  seen.length = 0;
  t.is((await removeInstance(d, { ...target, sopInstanceUid: '1.2.3.9' })).kind, 'removed', 'already gone');
  t.is(seen.length, 1, 'no DELETE when the lookup finds nothing');
  const down = destinationSchema.parse({ name: 'x', url: 'http://unused/dicom-web', removeSuperseded: { via: 'orthanc', url: 'http://127.0.0.1:9' }, timeoutSeconds: 2 });
  t.is((await removeInstance(down, target)).kind, 'retry');
});
