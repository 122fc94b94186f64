import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { appConfigJs } from '../../src/viewer/app-config.js';
import { OHIF_VERSION, rebase } from '../../src/viewer/ohif-dist.js';
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
