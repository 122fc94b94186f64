import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { appConfigJs } from '../../src/viewer/app-config.js';
import { findInFile, OhifDist, OHIF_VERSION, rebase, type Splice } from '../../src/viewer/ohif-dist.js';
import { isPublicViewerPath, mimeOf } from '../../src/viewer/routes.js';
import { REPO_ROOT } from '../helpers/node-process.js';

test('the served OHIF version is the one the build fetches', (t) => {
  const script = readFileSync(path.join(REPO_ROOT, 'scripts/fetch-ohif.mjs'), 'utf8');
  t.is(/OHIF_VERSION = '([^']+)'/.exec(script)?.[1], OHIF_VERSION);
});

test('rebase moves the viewer from / to /viewer/', (t) => {
  const html = '<script>window.PUBLIC_URL="/"</script><script src="/app-config.js"></script><link href="/app.bundle.css"><a href="//cdn/x">';
  t.is(rebase('index.html', html, '/viewer/'), '<script>window.PUBLIC_URL="/viewer/"</script><script src="/viewer/app-config.js"></script><link href="/viewer/app.bundle.css"><a href="//cdn/x">');
  t.is(rebase('app.bundle.1.js', 'a;__webpack_require__.p = "/";b', '/viewer/'), 'a;__webpack_require__.p = "/viewer/";b');
  t.is(rebase('x.js', 'nothing to do', '/viewer/'), undefined);
  t.is(rebase('app.bundle.css', 'src:url(/a.woff2)', '/viewer/'), 'src:url(/viewer/a.woff2)');
  t.is(rebase('manifest.json', '{"src":"/assets/i.png"}', '/viewer/'), '{"src":"/viewer/assets/i.png"}');
});

test('findInFile finds a string across its 1 MiB read pieces, and stops at the limit', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'find-in-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f.js');
  const needle = '__webpack_require__.p = "/";';
  const body = Buffer.alloc(3 * (1 << 20), 'x');
  for (const at of [0, (1 << 20) - 7, 2 * (1 << 20) - needle.length + 1]) body.write(needle, at);
  body.write(needle, body.length - needle.length);
  writeFileSync(file, body);
  t.deepEqual(findInFile(file, needle, 10), [0, (1 << 20) - 7, 2 * (1 << 20) - needle.length + 1, body.length - needle.length]);
  t.deepEqual(findInFile(file, needle), [0, (1 << 20) - 7]);
  t.deepEqual(findInFile(file, 'absent', 10), []);
});

test('the app bundle is served as a splice of the file on disk, equal to rebase()', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ohif-dist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'index.html'), '<script>window.PUBLIC_URL="/"</script>');
  const app = 'ünïcode;' + 'y'.repeat(1 << 20) + ';__webpack_require__.p = "/";tail';
  writeFileSync(path.join(dir, 'app.bundle.0123abcd.js'), app);
  writeFileSync(path.join(dir, 'worker.bundle.1.js'), 'w;__webpack_require__.p = "/";');
  writeFileSync(path.join(dir, 'plain.js'), 'nothing');
  writeFileSync(path.join(dir, 'app.bundle.css'), 'src:url(/a.woff2)');
  const dist = new OhifDist(dir, '/viewer/');
  const spliced = (s: Splice): string => {
    const bytes = readFileSync(s.file);
    return Buffer.concat([bytes.subarray(0, s.at), s.insert, bytes.subarray(s.at + s.remove)]).toString('utf8');
  };
  const bundle = (await dist.patched('app.bundle.0123abcd.js')) as Splice;
  t.false(Buffer.isBuffer(bundle));
  t.is(spliced(bundle), rebase('app.bundle.0123abcd.js', app, '/viewer/')!);
  t.is(bundle.size - bundle.remove + bundle.insert.length, Buffer.byteLength(rebase('app.bundle.0123abcd.js', app, '/viewer/')!));
  t.is(spliced((await dist.patched('worker.bundle.1.js')) as Splice), 'w;__webpack_require__.p = "/viewer/";');
  t.is(await dist.patched('plain.js'), undefined);
  t.is(String(await dist.patched('app.bundle.css')), 'src:url(/viewer/a.woff2)');
  t.is(String(dist.indexHtml()), '<script>window.PUBLIC_URL="/viewer/"</script>');
});

test('MIME types that a module import and WebAssembly need', (t) => {
  t.is(mimeOf('a/b.js'), 'text/javascript; charset=utf-8');
  t.is(mimeOf('x.wasm'), 'application/wasm');
  t.is(mimeOf('x.unknown'), 'application/octet-stream');
});

test('only static viewer paths are public', (t) => {
  t.true(isPublicViewerPath('/viewer/'));
  t.true(isPublicViewerPath('/viewer-ext/extension.js'));
  t.true(isPublicViewerPath('/review'));
  t.false(isPublicViewerPath('/dicomweb/studies'));
  t.false(isPublicViewerPath('/api/v1/results'));
  t.false(isPublicViewerPath('/viewerx'));
});

test('app-config.js: same-origin DICOMweb, BINARY SEG store, our modules, no token', (t) => {
  const js = appConfigJs();
  t.regex(js, /"defaultMode": "bitmap"/);
  t.regex(js, /"transferSyntaxUID": "1\.2\.840\.10008\.1\.2\.1"/);
  t.regex(js, /window\.location\.origin \+ '\/dicomweb'/);
  t.regex(js, /"\/viewer-ext\/extension\.js"/);
  t.regex(js, /"\/viewer-ext\/mode\.js"/);
  t.notRegex(js, /Bearer|token/i);
});
