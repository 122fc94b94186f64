import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startNode, stowInstances, type TestNode } from '../helpers/node.js';
import { testNeeding } from '../helpers/declare.js';
import { api, legSeries } from '../helpers/routing-fixture.js';

const test = testNeeding('chromium');

/**
 * The console's rule tester and study rules (issue 17 item 6) in a real Chromium, against a node
 * in-process (PGlite, the demo model, no tokens: loopback admin): the tester explains why a rule
 * does not match a stored series, the editor shows the node's 400 for a study rule naming an
 * unknown input, the draft is tested beside the set, and a study's wait shows what it lacks.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
let n: TestNode;
let context: BrowserContext;
let profile = '';
let page: Page;
const problems: string[] = [];

const study = { requiredSeries: [{ name: 't1', when: { SeriesDescription: { wildcard: '*t1*' } } }, { name: 'dixon', when: { SeriesDescription: { wildcard: '*dixon*' } } }], input: 't1', timeoutSeconds: 3600, onTimeout: 'skip' };
const RULES = [
  { id: 'legs', when: { SeriesDescription: { wildcard: '*leg*' } }, model: 'leg-demo' },
  { id: 'leg-study', trigger: 'study', when: { Modality: 'MR' }, study, model: 'leg-demo' },
];

test.before(async () => {
  n = await startNode({ config: { routing: { defaultQuietSeconds: 0 }, jobs: { concurrency: { inference: 0, delivery: 0 } } } });
  await api(n.url, '/api/v1/rules', { method: 'PUT', body: { rules: RULES } });
  profile = mkdtempSync(path.join(os.tmpdir(), 'dafne-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Errors of our script only: the browser also logs the intended 400 of the refused save.
  page.on('console', (m) => {
    const at = m.location().url;
    if (m.type() === 'error' && (at.includes('/console/') || at === '')) problems.push(`${m.text()} (${at})`);
  });
});

test.after.always(async () => {
  await context?.close().catch(() => undefined);
  if (profile) rmSync(profile, { recursive: true, force: true });
  await n?.close();
});

async function stow(description: string, studyInstanceUID?: string): Promise<{ series: string; study: string }> {
  const s = await legSeries({ description, studyInstanceUID });
  if ((await stowInstances(n.url, s.series.files)).status !== 200) throw new Error('STOW-RS failed');
  return { series: s.series.seriesInstanceUID, study: s.series.studyInstanceUID };
}

test.serial('the tester says why a rule does not match; a study rule with an unknown input is refused with the field; its wait shows what the study lacks', async (t) => {
  const arm = await stow('T2 arm');
  await page.goto(`${n.url}/console/#/rules`);
  await page.locator('tr[data-rule="leg-study"]').waitFor();
  t.is(await page.locator('tr[data-rule="leg-study"] [data-testid="rule-study"]').innerText(), 'study: t1 (SeriesDescription ~ "*t1*") + dixon (SeriesDescription ~ "*dixon*"); input t1; 3600 s, then skip');

  const tester = page.locator('[data-testid="rule-tester"]');
  await tester.locator('input[name="seriesInstanceUid"]').fill(arm.series);
  await tester.locator('[data-action="test-rules"]').click();
  const result = page.locator('[data-testid="rule-tester-result"]');
  await result.waitFor();
  t.is(await result.locator('[data-plane]').innerText(), 'axial');
  const legs = result.locator('tr[data-rule="legs"]');
  t.is(await legs.getAttribute('data-outcome'), 'no-match');
  t.is(await legs.locator('[data-testid="rule-test-explanation"]').innerText(), 'does not match: SeriesDescription is "T2 arm", wanted {"wildcard":"*leg*"}');
  t.is(await result.locator('tr[data-rule="leg-study"]').getAttribute('data-outcome'), 'no-match');

  // A new study rule whose input names no required series: the node's 400, naming the field.
  await page.locator('[data-action="new-rule"]').click();
  const form = page.locator('[data-testid="rule-editor"]');
  await form.locator('input[name="id"]').fill('arm-study');
  await form.locator('select[name="trigger"]').selectOption('study');
  await form.locator('textarea[name="study"]').fill(JSON.stringify({ ...study, requiredSeries: [{ name: 'arm', when: { SeriesDescription: { wildcard: '*arm*' } } }], input: 't3' }));
  await form.locator('input[name="model"]').fill('leg-demo');
  await form.locator('[data-action="save-rule"]').click();
  await page.locator('[data-testid="rule-error"]').filter({ hasText: 'study.input' }).waitFor();
  t.is(await page.locator('[data-testid="rule-error"]').innerText(), 'study.input: "t3" is not a required series (arm) (HTTP 400)');

  // Fixed, the draft is tried beside the set on the same series: it counts as its `arm` series.
  await form.locator('textarea[name="study"]').fill(JSON.stringify({ ...study, requiredSeries: [{ name: 'arm', when: { SeriesDescription: { wildcard: '*arm*' } } }], input: 'arm' }));
  const draftTester = page.locator('[data-testid="rule-tester-draft"]');
  await draftTester.locator('input[name="seriesInstanceUid"]').fill(arm.series);
  await draftTester.locator('[data-action="test-rules"]').click();
  const draftRow = page.locator('[data-testid="rule-tester-draft-result"] tr[data-rule="arm-study"]');
  await draftRow.waitFor();
  t.is(await draftRow.getAttribute('data-outcome'), 'study');
  t.regex(await draftRow.locator('[data-testid="rule-test-explanation"]').innerText(), /^counts as arm for the study; all required series present \(arm \(this series\)\): runs model "leg-demo" on arm/);

  // A t1 of a new study, routed by one scheduler pass: the wait appears and says what is missing.
  const t1 = await stow('T1 leg', undefined);
  await n.node.routing.scheduler.tick();
  const wait = page.locator(`[data-testid="study-waits"] tr[data-state="waiting"]`).filter({ hasText: t1.study });
  await wait.waitFor({ timeout: 30_000 });
  t.regex(await wait.innerText(), /✓ t1\s+✗ dixon/);
  t.regex(await wait.locator('[data-testid="study-wait-reason"]').innerText(), /lacks dixon/);
  await page.screenshot({ path: path.join(os.tmpdir(), 'console-rule-tester.png'), fullPage: true });
  t.deepEqual(problems, []);
});
