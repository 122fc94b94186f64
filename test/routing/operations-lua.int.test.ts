import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/node-process.js';
import { startNode, type TestNode } from '../helpers/node.js';
import { startOrthanc, type OrthancHarness } from '../helpers/orthanc.js';
import { legSeries } from '../helpers/routing-fixture.js';
import { testNeeding } from '../helpers/declare.js';
import { waitFor } from '../helpers/wait.js';

// Drives a real Orthanc; without it the test is skipped with the reason (requirements.ts).
const test = testNeeding('orthanc');

/**
 * Issue 17 item 5: the Orthanc Lua script of docs/operations.md ("Routing studies from a PACS"),
 * taken from the document itself, forwards MR series and not CT ones. Orthanc handles its Lua
 * events one after another in the order series became stable, so once an MR series stored after
 * the CT one has arrived, the CT one's event has run. The CT series is then sent by hand to show
 * the node would have stored it (the test does not pass only because the node refused it).
 */
let n: TestNode;
let pacs: OrthancHarness;

const docsLua = (): string => {
  const text = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
  const section = text.slice(text.indexOf('## Routing studies from a PACS'));
  const lua = /```lua\n([\s\S]*?)```/.exec(section)?.[1];
  if (!lua || !lua.includes('/dicom-web/servers/dafne/stow')) throw new Error('docs/operations.md: no STOW Lua script under "Routing studies from a PACS"');
  return lua;
};

test.before(async () => {
  n = await startNode();
  pacs = await startOrthanc({ stableAge: 1, luaScripts: [docsLua()] });
  await pacs.registerDicomWebServer('dafne', `${n.url}/dicomweb/`);
});
test.after.always(async () => {
  await Promise.all([pacs?.stop(), n?.close()]);
});

const stored = async (): Promise<{ modality: string; description: string }[]> =>
  (await n.node.db.dataSource.query('SELECT modality, series_description AS description FROM series ORDER BY id')) as { modality: string; description: string }[];

test('the documented Lua forwards stable MR series, not CT', async (t) => {
  const mr = await legSeries({ description: 'lua mr first' });
  let orthancSeries = '';
  for (const f of mr.series.files) orthancSeries = (await pacs.upload(f)).ParentSeries;
  // A CT series: the same images with Modality CT (Orthanc gives the copy new UIDs).
  const ct = await pacs.post<{ ID: string }>(`/series/${orthancSeries}/modify`, { Replace: { Modality: 'CT', SeriesDescription: 'lua ct' } });
  const last = await legSeries({ description: 'lua mr last', studyInstanceUID: mr.series.studyInstanceUID });
  for (const f of last.series.files) await pacs.upload(f);
  await waitFor(async () => (await stored()).some((s) => s.description === 'lua mr last'), 60_000, 'the last MR series in the node');
  t.deepEqual(await stored(), [
    { modality: 'MR', description: 'lua mr first' },
    { modality: 'MR', description: 'lua mr last' },
  ]);
  // Control: the node stores the CT series when it is sent.
  await pacs.stowToServer('dafne', [ct.ID]);
  t.true((await stored()).some((s) => s.modality === 'CT' && s.description === 'lua ct'));
});
