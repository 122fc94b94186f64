import { readFileSync } from 'node:fs';
import test from 'ava';
import { parse } from 'yaml';
import { destinationSchema, redact } from '../../src/export/destination-store.js';
import { REPO_ROOT } from '../helpers/node-process.js';

// `removeSuperseded` on a destination (docs/routing.md, "Late instances"): how a superseded SEG is
// deleted there. Schema and redaction only; the deletes themselves: remove-instance.int.test.ts and
// test/routing/supersede.int.test.ts (real Orthanc).

test('removeSuperseded: orthanc with its REST url on either kind of destination, dicomweb only with a url', (t) => {
  t.true(destinationSchema.safeParse({ name: 'a', url: 'http://pacs:8042/dicom-web', removeSuperseded: { via: 'orthanc', url: 'http://pacs:8042' } }).success);
  t.true(destinationSchema.safeParse({ name: 'a', dimse: { host: 'pacs', port: 104, aeTitle: 'PACS' }, removeSuperseded: { via: 'orthanc', url: 'http://pacs:8042' } }).success);
  t.true(destinationSchema.safeParse({ name: 'a', url: 'http://pacs/dicomweb', removeSuperseded: { via: 'dicomweb' } }).success);
  const dimse = destinationSchema.safeParse({ name: 'a', dimse: { host: 'pacs', port: 104, aeTitle: 'PACS' }, removeSuperseded: { via: 'dicomweb' } });
  t.false(dimse.success);
  t.regex(JSON.stringify(dimse.error?.issues), /via: dicomweb needs a DICOMweb/);
  t.false(destinationSchema.safeParse({ name: 'a', url: 'http://pacs/dicomweb', removeSuperseded: { via: 'orthanc' } }).success, 'orthanc needs its url');
  t.false(destinationSchema.safeParse({ name: 'a', url: 'http://pacs/dicomweb', removeSuperseded: { via: 'orthanc', url: 'ftp://pacs' } }).success);
  t.false(destinationSchema.safeParse({ name: 'a', url: 'http://pacs/dicomweb', removeSuperseded: { via: 'delete-everything' } }).success);
});

test('the API never shows the password or token of removeSuperseded.auth', (t) => {
  const d = destinationSchema.parse({ name: 'a', url: 'http://pacs:8042/dicom-web', auth: { type: 'bearer', token: 'T0KEN' }, removeSuperseded: { via: 'orthanc', url: 'http://pacs:8042', auth: { type: 'basic', username: 'admin', password: 's3cret' } } });
  const shown = JSON.stringify(redact(d));
  t.false(shown.includes('s3cret'));
  t.false(shown.includes('T0KEN'));
  t.regex(shown, /"removeSuperseded":\{"via":"orthanc","url":"http:\/\/pacs:8042","auth":\{"type":"basic","username":"admin"\}\}/);
});

test('config/routing.example.yaml destinations are valid', (t) => {
  const doc = parse(readFileSync(`${REPO_ROOT}/config/routing.example.yaml`, 'utf8')) as { destinations: unknown[] };
  for (const d of doc.destinations) t.true(destinationSchema.safeParse(d).success, JSON.stringify(d));
});
